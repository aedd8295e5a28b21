#!/usr/bin/env bash
# scripts/install-aws-cli.sh: the AWS CLI v2, which the boot units run (SSM parameters) and loadgen uses (the
# db-stress Run Command), from AWS's signed archive, its signature checked against AWS's pinned key. Parameters
# (env): AWSCLI_SOURCE (zip|apt), AWSCLI_VERSION, AWSCLI_BASE_URL, AWSCLI_KEY_FINGERPRINT, AWSCLI_KEY_URL,
# AWSCLI_INSTALL_DIR, AWSCLI_BIN_DIR, AWSCLI_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# zip: AWS's own build (Ubuntu 24.04 has no awscli package; Canonical's snap cannot run inside the hardened boot
# units: snap-confine needs privileges NoNewPrivileges= takes away, and /root/snap, which ProtectHome= hides).
# apt: the distribution's package (the Debian test chroot, which cannot reach awscli.amazonaws.com).
AWSCLI_SOURCE=${AWSCLI_SOURCE:-zip}
AWSCLI_VERSION=${AWSCLI_VERSION:-2.36.11}
AWSCLI_BASE_URL=${AWSCLI_BASE_URL:-https://awscli.amazonaws.com}
# The AWS CLI Team's signing key (docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html). The key
# is fetched (its expiry date is extended from time to time); the fingerprint is what is trusted.
AWSCLI_KEY_FINGERPRINT=${AWSCLI_KEY_FINGERPRINT:-FB5DB77FD5C118B80511ADA8A6310ACC4672475C}
AWSCLI_KEY_URL=${AWSCLI_KEY_URL:-https://keyserver.ubuntu.com/pks/lookup?op=get&options=mr&search=0x$AWSCLI_KEY_FINGERPRINT}
AWSCLI_PACKAGE=${AWSCLI_PACKAGE:-awscli}
INSTALL_DIR=${AWSCLI_INSTALL_DIR:-/usr/local/aws-cli}
BIN_DIR=${AWSCLI_BIN_DIR:-/usr/local/bin}

install_zip() {
  local arch work fingerprint signer
  case "$(uname -m)" in
    x86_64) arch=x86_64 ;;
    aarch64) arch=aarch64 ;;
    *) die "no AWS CLI v2 build for $(uname -m)" ;;
  esac
  if [ -x "$BIN_DIR/aws" ] && "$BIN_DIR/aws" --version 2>&1 | grep -q "^aws-cli/$AWSCLI_VERSION "; then
    log "AWS CLI $AWSCLI_VERSION already installed"
    return 0
  fi
  apt_install unzip gpg gpgv
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expanded now, on purpose
  trap "rm -rf '$work'" RETURN
  log "downloading AWS CLI $AWSCLI_VERSION ($arch) and its signature"
  curl -fsSL --retry 3 -o "$work/awscliv2.zip" "$AWSCLI_BASE_URL/awscli-exe-linux-$arch-$AWSCLI_VERSION.zip"
  curl -fsSL --retry 3 -o "$work/awscliv2.sig" "$AWSCLI_BASE_URL/awscli-exe-linux-$arch-$AWSCLI_VERSION.zip.sig"
  curl -fsSL --retry 3 -o "$work/key.asc" "$AWSCLI_KEY_URL"
  install -d -m 0700 "$work/gnupg"
  fingerprint=$(GNUPGHOME=$work/gnupg gpg --show-keys --with-colons "$work/key.asc" | awk -F: '$1 == "fpr" {print $10; exit}')
  [ "$fingerprint" = "$AWSCLI_KEY_FINGERPRINT" ] ||
    die "the AWS CLI key has fingerprint '$fingerprint', expected $AWSCLI_KEY_FINGERPRINT"
  GNUPGHOME=$work/gnupg gpg --dearmor <"$work/key.asc" >"$work/key.gpg"
  # gpgv trusts exactly this keyring. VALIDSIG's last field is the primary key's fingerprint: the archive must be
  # signed by that key (a signature by any other key, or none, fails here).
  signer=$(gpgv --status-fd 1 --keyring "$work/key.gpg" "$work/awscliv2.sig" "$work/awscliv2.zip" 2>/dev/null |
    awk '$2 == "VALIDSIG" {print $NF}') || true
  [ "$signer" = "$AWSCLI_KEY_FINGERPRINT" ] || die "awscli-exe-linux-$arch-$AWSCLI_VERSION.zip: no valid signature by $AWSCLI_KEY_FINGERPRINT"
  log "signature valid (key $AWSCLI_KEY_FINGERPRINT); installing into $INSTALL_DIR"
  unzip -q "$work/awscliv2.zip" -d "$work"
  "$work/aws/install" --install-dir "$INSTALL_DIR" --bin-dir "$BIN_DIR" --update
}

case "$AWSCLI_SOURCE" in
  zip) install_zip ;;
  apt) apt_install "$AWSCLI_PACKAGE" ;;
  *) die "AWSCLI_SOURCE must be zip or apt, was '$AWSCLI_SOURCE'" ;;
esac

aws --version
