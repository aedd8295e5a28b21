#!/usr/bin/env bash
# scripts/tests/run-on-fake-host.sh: runs a command as on a fake load host: in a mount namespace of its own, where the
# host's passwd and group files (this machine's plus its loadtest user, at home in the host's folder) replace /etc's.
# Usage: run-on-fake-host.sh HOST_DIR COMMAND... (as root; the fake aws wraps each Run Command in it)
set -euo pipefail

host=$1
shift
if [ ! -f "$host/etc/passwd" ] || [ ! -f "$host/etc/group" ]; then
  echo "run-on-fake-host: $host/etc/passwd or group is missing" >&2
  exit 2
fi
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --mount --propagation private -- sh -c \
  'mount --bind "$1/etc/passwd" /etc/passwd && mount --bind "$1/etc/group" /etc/group && shift && exec "$@"' \
  sh "$host" "$@"
