#!/usr/bin/env bash
# scripts/install-aws-cli.sh: the AWS CLI, which the boot scripts use to read SSM parameters and loadgen to send
# the db-stress Run Command. Parameters (env): AWSCLI_SOURCE (snap|apt), AWSCLI_SNAP_CHANNEL, AWSCLI_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Ubuntu 24.04 has no awscli package in its archive; AWS CLI v2 comes as Canonical's snap there. Debian ships
# awscli as a package (the test chroot uses that).
AWSCLI_SOURCE=${AWSCLI_SOURCE:-snap}
AWSCLI_SNAP_CHANNEL=${AWSCLI_SNAP_CHANNEL:-v2/stable}
AWSCLI_PACKAGE=${AWSCLI_PACKAGE:-awscli}

case "$AWSCLI_SOURCE" in
  snap)
    # On a first boot snapd may still be seeding; snap install fails until it is done.
    snap wait system seed.loaded
    if ! snap list aws-cli >/dev/null 2>&1; then
      log "installing the aws-cli snap ($AWSCLI_SNAP_CHANNEL)"
      snap install aws-cli --classic --channel="$AWSCLI_SNAP_CHANNEL"
    fi
    # The image runs the CLI it was verified with: no automatic snap refreshes (snapd 2.58+).
    snap refresh --hold aws-cli
    # systemd units do not have /snap/bin on their PATH.
    ln -sfn /snap/bin/aws /usr/local/bin/aws
    ;;
  apt)
    apt_install "$AWSCLI_PACKAGE"
    ;;
  *) die "AWSCLI_SOURCE must be snap or apt, was '$AWSCLI_SOURCE'" ;;
esac

aws --version
