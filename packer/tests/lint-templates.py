#!/usr/bin/env python3
# packer/tests/lint-templates.py: what Packer 1.6.6's validate misses in packer/*.pkr.hcl: `only`/`except` names
# that match no source (a typo silently skips the step), the tags Terraform looks AMIs up by, the plugin pin,
# the fields kept between the ci-strip markers, and the per-role verify scripts. Usage: lint-templates.py PACKER_DIR
import glob
import os
import re
import sys

root = sys.argv[1]
text = {os.path.basename(p): open(p).read() for p in sorted(glob.glob(os.path.join(root, "*.pkr.hcl")))}
problems = []

build = "\n".join(text.values())
roles = re.findall(r'source\s+"amazon-ebs\.base"\s*\{\s*name\s*=\s*"([a-z]+)"', build)
if sorted(roles) != ["api", "db", "loadgen", "monitor"]:
    problems.append(f"build-level sources are {roles}, expected api, db, monitor, loadgen")
names = {f"amazon-ebs.{r}" for r in roles}

for file, body in text.items():
    for kind, listed in re.findall(r'\b(only|except)\s*=\s*\[([^\]]*)\]', body):
        for name in re.findall(r'"([^"]+)"', listed):
            if name not in names:
                problems.append(f"{file}: {kind} names '{name}', which is no source (known: {sorted(names)})")

for role in roles:
    block = re.search(r'name\s*=\s*"%s"(.*?)\n  \}' % role, build, re.S).group(1)
    for attribute in ("tags", "snapshot_tags"):
        value = re.search(r"^\s*%s\s*=\s*(.*)$" % attribute, block, re.M)
        if not value or "local.image_tags" not in value.group(1) \
                or not re.search(r'Role\s*=\s*"%s"' % role, value.group(1)):
            problems.append(f"source {role}: {attribute} must merge local.image_tags with Role = \"{role}\"")
    if not re.search(r'ami_name\s*=\s*".*var\.version.*var\.git_commit', block):
        problems.append(f"source {role}: ami_name must carry var.version and var.git_commit")
    if not os.path.isfile(os.path.join(root, "scripts", f"verify-{role}.sh")):
        problems.append(f"scripts/verify-{role}.sh is missing")

tags = re.search(r"image_tags\s*=\s*\{(.*?)\}", text.get("locals.pkr.hcl", ""), re.S)
for tag in ("Project", "Version", "GitCommit"):
    if not tags or not re.search(r"\b%s\s*=" % tag, tags.group(1)):
        problems.append(f"locals.pkr.hcl: image_tags lacks {tag}")

plugins = text.get("plugins.pkr.hcl", "")
if not re.search(r'source\s*=\s*"github.com/hashicorp/amazon"', plugins) or "required_version" not in plugins:
    problems.append("plugins.pkr.hcl must pin required_version and the amazon plugin")

sources = text.get("sources.pkr.hcl", "")
strip = re.search(r"# ci-strip-begin(.*?)# ci-strip-end", sources, re.S)
if not strip or not re.search(r'http_tokens\s*=\s*"required"', strip.group(1)) \
        or not re.search(r'imds_support\s*=\s*"v2.0"', strip.group(1)):
    problems.append("sources.pkr.hcl: the ci-strip block must require IMDSv2 (metadata_options, imds_support)")
if '"099720109477"' not in sources or "ubuntu-noble-24.04-amd64-server-*" not in sources:
    problems.append("sources.pkr.hcl: the base must be Ubuntu 24.04 filtered on Canonical's owner id")
# Every image's snapshots encrypted (issue: unencrypted AMI snapshots).
if not re.search(r'^\s*encrypt_boot\s*=\s*true\s*$', sources, re.M):
    problems.append("sources.pkr.hcl: encrypt_boot = true is missing: the AMIs' snapshots would be unencrypted")
if re.search(r'encrypted\s*=\s*false', sources):
    problems.append("sources.pkr.hcl: a block device with encrypted = false")
if re.search(r'source_ami\s*=\s*"ami-', sources):
    problems.append("sources.pkr.hcl: hard-coded source_ami")

for problem in problems:
    print("  " + problem)
print(f"  {len(roles)} roles, {sum(len(re.findall(r'only', b)) for b in text.values())} only-lists checked")
sys.exit(1 if problems else 0)
