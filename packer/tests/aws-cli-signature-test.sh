#!/usr/bin/env bash
# packer/tests/aws-cli-signature-test.sh: scripts/install-aws-cli.sh installs an archive only when it carries a
# valid signature by the pinned key: a test key signs a stand-in archive (file:// URLs, a scratch install
# directory, nothing downloaded or installed system-wide), then a tampered archive, a signature by another key and
# a key whose fingerprint is not the pinned one must each be refused and install nothing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'gpgconf --homedir "$WORK/gnupg" --kill all 2>/dev/null || true; rm -rf "$WORK"' EXIT
VERSION=2.36.11
ARCH=$(uname -m)
export GNUPGHOME=$WORK/gnupg
mkdir -m 0700 "$GNUPGHOME"

new_key() {
  gpg --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' --quick-gen-key "$1" ed25519 sign never 2>/dev/null
  gpg --batch --quiet --with-colons --list-keys "$1" 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}'
}
pinned=$(new_key "AWS CLI stand-in <pinned@example.invalid>")
other=$(new_key "Someone else <other@example.invalid>")

# The stand-in archive: aws/install writes an `aws` that prints a version, as the real installer's does.
mkdir -p "$WORK/src/aws"
cat >"$WORK/src/aws/install" <<'SH'
#!/bin/sh
set -eu
while [ $# -gt 0 ]; do case "$1" in --install-dir) dir=$2; shift ;; --bin-dir) bin=$2; shift ;; esac; shift; done
mkdir -p "$dir" "$bin"
printf '#!/bin/sh\necho "aws-cli/2.36.11 Python/3 Linux stand-in"\n' >"$dir/aws"
chmod +x "$dir/aws"
ln -sf "$dir/aws" "$bin/aws"
SH
chmod +x "$WORK/src/aws/install"
(cd "$WORK/src" && zip -qr "$WORK/good.zip" aws)

# case NAME SIGNER KEY_FPR_PINNED TAMPER EXPECT
failed=0
run_case() {
  local name=$1 signer=$2 pinned_fpr=$3 tamper=$4 expect=$5 dir=$WORK/case-$RANDOM rc=0
  mkdir -p "$dir/srv"
  cp "$WORK/good.zip" "$dir/srv/awscli-exe-linux-$ARCH-$VERSION.zip"
  gpg --batch --yes --local-user "$signer" --detach-sign \
    -o "$dir/srv/awscli-exe-linux-$ARCH-$VERSION.zip.sig" "$dir/srv/awscli-exe-linux-$ARCH-$VERSION.zip"
  [ "$tamper" = yes ] && echo tampered >>"$dir/srv/awscli-exe-linux-$ARCH-$VERSION.zip"
  gpg --batch --armor --export "$pinned" >"$dir/srv/key.asc"
  AWSCLI_SOURCE=zip AWSCLI_VERSION=$VERSION AWSCLI_BASE_URL="file://$dir/srv" AWSCLI_KEY_URL="file://$dir/srv/key.asc" \
    AWSCLI_KEY_FINGERPRINT=$pinned_fpr AWSCLI_INSTALL_DIR="$dir/aws-cli" AWSCLI_BIN_DIR="$dir/bin" \
    PATH="$dir/bin:$PATH" bash "$HERE/scripts/install-aws-cli.sh" >"$dir/out" 2>&1 || rc=$?
  if [ "$expect" = installs ] && [ "$rc" -eq 0 ] && "$dir/bin/aws" --version | grep -q "^aws-cli/$VERSION "; then
    echo "  ok   $name: installed"
  elif [ "$expect" = refuses ] && [ "$rc" -ne 0 ] && [ ! -e "$dir/bin/aws" ]; then
    echo "  ok   $name: refused ($(grep -m1 ERROR "$dir/out" || tail -1 "$dir/out"))"
  else
    echo "  FAIL $name: expected it $expect (rc $rc); output:"
    sed 's/^/       /' "$dir/out"
    failed=1
  fi
}
run_case "archive signed by the pinned key" "$pinned" "$pinned" no installs
run_case "archive changed after signing" "$pinned" "$pinned" yes refuses
run_case "archive signed by another key" "$other" "$pinned" no refuses
run_case "served key is not the pinned one" "$pinned" "$other" no refuses
exit "$failed"
