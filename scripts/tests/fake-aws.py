#!/usr/bin/env python3
# scripts/tests/fake-aws.py: a stand-in for the AWS CLI in the coordinator's test (no AWS): Run Command runs the
# rendered loadtest-run document on fake hosts on this machine, and "S3" is a folder.
"""Fake `aws` for scripts/test-aws-loadtest.sh.

State lives in $FAKE_AWS_DIR:
  calls.log             one JSON array of arguments per call
  documents/<name>.json the Command documents' content, as terraform/checks/render-document.js prints it
  hosts/<instance id>/  one folder per fake load host; a file `undeliverable` makes its invocations Undeliverable,
                        `execution-timeout` (seconds) cuts its commands as Run Command's timeoutSeconds would;
                        commands/<command id>/ holds each command's script, output, exit code and process group
  s3/<bucket>/<key>     the objects of each bucket (a bucket exists when its folder does)

Supported, as the coordinator and the document call them: ssm send-command, ssm get-command-invocation,
s3 cp --recursive (both ways), s3api list-objects-v2. send-command validates the parameters against its
document as SSM does (every one given, Integer digits, allowedValues, allowedPattern) and starts the document's
commands in the background, `sh` in the command's folder, wrapped in $FAKE_AWS_HOST_WRAPPER HOST_DIR if set (the
test's per-host namespace). Errors look like the CLI's: a message on stderr and exit 254 (service) or 252 (usage).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import uuid

STATE = os.environ["FAKE_AWS_DIR"]


def fail(code, message):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def service_error(code, operation, message):
    fail(254, f"\nAn error occurred ({code}) when calling the {operation} operation: {message}")


def options(args):
    """--name value pairs (and bare flags) after the service and operation."""
    out, rest, i = {}, [], 0
    while i < len(args):
        a = args[i]
        if a in ("--recursive", "--only-show-errors", "--no-paginate"):
            out[a[2:]] = True
            i += 1
        elif a.startswith("--"):
            if i + 1 >= len(args):
                fail(252, f"aws: error: argument {a}: expected one argument")
            out[a[2:]] = args[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    return out, rest


def query(record, expression, output):
    """The two --query shapes the coordinator uses: Name and [A,B,C], as --output text prints them."""
    if expression is None:
        return json.dumps(record, indent=2)
    names = expression.strip("[]").split(",") if expression.startswith("[") else [expression]
    values = [record.get(n.strip()) for n in names]
    if output == "text":
        return "\t".join("None" if v is None else str(v) for v in values)
    return json.dumps(values if expression.startswith("[") else values[0])


def host_dir(instance):
    path = os.path.join(STATE, "hosts", instance)
    return path if re.fullmatch(r"i-[0-9a-f]+", instance) and os.path.isdir(path) else None


def send_command(opts):
    op = "SendCommand"
    name = opts.get("document-name", "")
    path = os.path.join(STATE, "documents", f"{name}.json")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not os.path.exists(path):
        service_error("InvalidDocument", op, f"Document {name} does not exist")
    with open(path) as f:
        document = json.load(f)
    instances = opts.get("instance-ids", "").split()
    if len(instances) != 1:
        fail(252, "fake aws: one --instance-ids per call")
    host = host_dir(instances[0])
    if host is None:
        service_error("InvalidInstanceId", op, "Instances not in a valid state for account")
    given = json.loads(opts.get("parameters", "{}"))
    declared = document.get("parameters", {})
    for name in given:
        if name not in declared:
            service_error("InvalidParameters", op, f"document {opts['document-name']} does not support parameter {name}")
    values = {}
    for name, spec in declared.items():
        if name not in given and "default" not in spec:
            service_error("InvalidParameters", op, f"document {opts['document-name']} requires parameter {name}")
        value = given[name][0] if name in given else str(spec["default"])
        if spec["type"] == "Integer" and not re.fullmatch(r"-?[0-9]+", value):
            service_error("InvalidParameters", op, f"parameter {name} must be an Integer, was {value!r}")
        if "allowedValues" in spec and value not in spec["allowedValues"]:
            service_error("InvalidParameters", op, f"parameter {name} value {value!r} is not one of {spec['allowedValues']}")
        if "allowedPattern" in spec and not re.search(spec["allowedPattern"], value):
            service_error("InvalidParameters", op, f"parameter {name} value {value!r} does not match {spec['allowedPattern']}")
        values[name] = value
    timeout = int(opts.get("timeout-seconds", "3600"))
    if not 30 <= timeout <= 2592000:
        service_error("ValidationException", op, "timeoutSeconds must be 30 to 2592000")

    command_id = str(uuid.uuid4())
    folder = os.path.join(host, "commands", command_id)
    os.makedirs(folder)
    lines = [line for step in document["mainSteps"] for line in step["inputs"]["runCommand"]]
    script = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values[m.group(1)], "\n".join(lines)) + "\n"
    with open(os.path.join(folder, "script.sh"), "w") as f:
        f.write(script)
    if os.path.exists(os.path.join(host, "undeliverable")):
        with open(os.path.join(folder, "undeliverable"), "w"):
            pass
    else:
        limit = document["mainSteps"][0]["inputs"].get("timeoutSeconds", 3600)
        marker = os.path.join(host, "execution-timeout")
        if os.path.exists(marker):
            with open(marker) as f:
                limit = int(f.read().strip())
        wrapper = os.environ.get("FAKE_AWS_HOST_WRAPPER")
        run = ([wrapper, host] if wrapper else []) + ["timeout", "-s", "KILL", str(limit), "sh", "script.sh"]
        # The agent's own process: runs the script and records how it ended, detached from this call.
        supervisor = 'code=0; "$@" >stdout 2>stderr || code=$?; echo "$code" >exit.tmp && mv exit.tmp exit'
        # The caller's PATH with this fake first: a Python launcher (pyenv) may have put its own bin, where a
        # real aws can live, in front of it.
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(sys.argv[0])) + os.pathsep + os.environ["PATH"])
        agent = subprocess.Popen(["sh", "-c", supervisor, "sh"] + run, cwd=folder, start_new_session=True, env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Its process group, for the test to stop what a failed test leaves running.
        with open(os.path.join(folder, "pid"), "w") as f:
            f.write(f"{agent.pid}\n")
    if opts.get("query") == "Command.CommandId":
        print(command_id)
    else:
        print(json.dumps({"Command": {"CommandId": command_id, "Status": "Pending"}}, indent=2))


def get_command_invocation(opts):
    op = "GetCommandInvocation"
    host = host_dir(opts.get("instance-id", ""))
    folder = host and os.path.join(host, "commands", opts.get("command-id", ""))
    if not folder or not os.path.isdir(folder):
        service_error("InvocationDoesNotExist", op, "")

    def read(name, limit=None):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            text = f.read()
        return text[-limit:] if limit else text

    if os.path.exists(os.path.join(folder, "undeliverable")):
        record = {"Status": "Failed", "StatusDetails": "Undeliverable", "ResponseCode": -1}
    elif not os.path.exists(os.path.join(folder, "exit")):
        record = {"Status": "InProgress", "StatusDetails": "InProgress", "ResponseCode": -1}
    else:
        code = int(read("exit").strip())
        if code == 137:
            record = {"Status": "TimedOut", "StatusDetails": "ExecutionTimedOut", "ResponseCode": -1}
        elif code == 0:
            record = {"Status": "Success", "StatusDetails": "Success", "ResponseCode": 0}
        else:
            record = {"Status": "Failed", "StatusDetails": "Failed", "ResponseCode": code}
    # GetCommandInvocation returns at most 24,000 characters of each stream.
    record["StandardOutputContent"] = read("stdout", 24000)
    record["StandardErrorContent"] = read("stderr", 8000)
    print(query(record, opts.get("query"), opts.get("output")))


def s3_path(url):
    m = re.fullmatch(r"s3://([^/]+)/?(.*)", url)
    if not m:
        return None
    bucket = os.path.join(STATE, "s3", m.group(1))
    if not os.path.isdir(bucket):
        fail(1, f"upload failed: An error occurred (NoSuchBucket) when calling the PutObject operation: {m.group(1)}")
    return bucket, m.group(2)


def s3_cp(opts, rest):
    if not opts.get("recursive") or len(rest) != 2:
        fail(252, "fake aws: only s3 cp --recursive SRC DST")
    src, dst = rest
    if dst.startswith("s3://"):
        bucket, key = s3_path(dst)
        if not os.path.isdir(src):
            fail(1, f"The user-provided path {src} does not exist.")
        for base, _, files in os.walk(src):
            for name in files:
                rel = os.path.relpath(os.path.join(base, name), src)
                target = os.path.join(bucket, key.rstrip("/"), rel) if key else os.path.join(bucket, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(os.path.join(base, name), target)
    elif src.startswith("s3://"):
        bucket, key = s3_path(src)
        root = os.path.join(bucket, key)
        if os.path.isdir(root):
            for base, _, files in os.walk(root):
                for name in files:
                    rel = os.path.relpath(os.path.join(base, name), root)
                    os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
                    shutil.copyfile(os.path.join(base, name), os.path.join(dst, rel))
    else:
        fail(252, "fake aws: s3 cp between two local paths")


def list_objects(opts):
    bucket, _ = s3_path(f"s3://{opts['bucket']}/")
    prefix = opts.get("prefix", "")
    keys = []
    for base, _, files in os.walk(bucket):
        for name in files:
            key = os.path.relpath(os.path.join(base, name), bucket)
            if key.startswith(prefix):
                keys.append(key)
    keys = sorted(keys)[: int(opts.get("max-keys", "1000"))]
    print(query({"KeyCount": len(keys)}, opts.get("query"), opts.get("output")))


def main(argv):
    with open(os.path.join(STATE, "calls.log"), "a") as f:
        f.write(json.dumps(argv) + "\n")
    opts, rest = options(argv)
    if len(rest) < 2:
        fail(252, "usage: aws [options] <command> <subcommand> [parameters]")
    command = tuple(rest[:2])
    if command == ("ssm", "send-command"):
        send_command(opts)
    elif command == ("ssm", "get-command-invocation"):
        get_command_invocation(opts)
    elif command == ("s3", "cp"):
        s3_cp(opts, rest[2:])
    elif command == ("s3api", "list-objects-v2"):
        list_objects(opts)
    else:
        fail(252, f"fake aws: {' '.join(command)} is not supported")


if __name__ == "__main__":
    main(sys.argv[1:])
