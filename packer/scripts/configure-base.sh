#!/usr/bin/env bash
# scripts/configure-base.sh: the base system of every role: waits for cloud-init, applies updates, installs the
# common tools and makes sure the SSM agent is there. Parameters (env): ROLE, BASE_PACKAGES, SSM_AGENT, UPGRADE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

require_env ROLE
# unattended-upgrades applies security updates on the running instances (README.md, "Security updates").
BASE_PACKAGES=${BASE_PACKAGES:-ca-certificates curl jq procps unattended-upgrades}
# snap: Ubuntu's AMIs ship the agent as a snap, which this checks; none: skip (a test chroot has no snapd).
SSM_AGENT=${SSM_AGENT:-snap}
UPGRADE=${UPGRADE:-1}
case "$SSM_AGENT" in snap | none) ;; *) die "SSM_AGENT must be snap or none, was '$SSM_AGENT'" ;; esac

wait_for_cloud_init

# The daily apt jobs would take the dpkg lock in the middle of the bake. Stopped for this boot only: instances
# launched from the image run them as usual.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl stop apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service || true
fi

log "updating package lists"
apt_get update
if [ "$UPGRADE" = 1 ]; then
  # The image starts with every update applied; unattended-upgrades keeps security fixes coming afterwards.
  log "applying updates"
  apt_get dist-upgrade
fi
# shellcheck disable=SC2086 # a list of package names
apt_install $BASE_PACKAGES

if [ "$SSM_AGENT" = snap ]; then
  # Session Manager replaces SSH on the instances (no port 22 in Terraform's security groups).
  snap wait system seed.loaded
  if ! snap list amazon-ssm-agent >/dev/null 2>&1; then
    log "installing the SSM agent snap"
    snap install amazon-ssm-agent --classic
  fi
  systemctl enable snap.amazon-ssm-agent.amazon-ssm-agent.service
else
  log "SSM_AGENT=none: not checking the SSM agent"
fi

install -d -m 0755 /etc/prometheus-demo /usr/local/lib/prometheus-demo
log "base system ready for role $ROLE"
