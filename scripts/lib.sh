#!/usr/bin/env bash
# scripts/lib.sh: helpers shared by ./demo and the folders' test.sh scripts (source it, do not run it).
# Finds a JDK 25 and installs missing Debian packages (as root) or says how to.

# Prints the home of a JDK 25 or newer: $JAVA_HOME if it qualifies, else the first one found in the usual places.
find_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/* "$HOME"/.sdkman/candidates/java/* /opt/java/* /opt/jdk*; do
    if [ -z "$candidate" ] || [ ! -x "$candidate/bin/java" ]; then continue; fi
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
      awk -F'= ' '/java.specification.version/ {print $2}')
    if [ -n "$version" ] && [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# Exports JAVA_HOME and PATH for a JDK 25, or exits with what to install.
use_jdk() {
  local jdk
  if ! jdk=$(find_jdk); then
    cat >&2 <<'MSG'
No JDK 25 found (looked at $JAVA_HOME, /usr/lib/jvm, ~/.sdkman, /opt).
Install one, for example Eclipse Temurin 25:
  Debian/Ubuntu: add the Adoptium APT repository (https://adoptium.net/installation/linux/), then
                 sudo apt-get install temurin-25-jdk
  Any Linux:     download it from https://adoptium.net/temurin/releases/?version=25 and set JAVA_HOME to it.
MSG
    exit 1
  fi
  export JAVA_HOME="$jdk"
  export PATH="$JAVA_HOME/bin:$PATH"
}

# require_packages PKG...: installs the Debian packages that are missing (when root with apt-get), else exits
# with the command to run.
require_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} ..." >&2
    # The lists may be empty on a fresh machine; refresh them once per run.
    if [ -z "${_APT_UPDATED:-}" ]; then
      apt-get update -qq >&2
      export _APT_UPDATED=1
    fi
    # Package scripts may try to start services; there is no init system here, and tests start what they need.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "Missing packages: ${missing[*]}. Install them: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

# Waits until a TCP port accepts connections: wait_port HOST PORT SECONDS
wait_port() {
  local host=$1 port=$2 seconds=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
