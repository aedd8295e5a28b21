#!/usr/bin/env bash
# scripts/install-grafana.sh: Grafana from Grafana's signed APT repository at a pinned version, with the
# repository's provisioning and dashboards. Parameters (env): GRAFANA_VERSION, GRAFANA_REPO, GRAFANA_KEY_URL,
# GRAFANA_KEY_FINGERPRINT, GRAFANA_SKIP (1 skips the package, for the test chroot that cannot reach the repository).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

require_env GRAFANA_VERSION
GRAFANA_REPO=${GRAFANA_REPO:-https://apt.grafana.com}
GRAFANA_KEY_URL=${GRAFANA_KEY_URL:-https://apt.grafana.com/gpg.key}
# Grafana Labs' APT signing key; a different key fails the bake (a rotation is for a human to check).
GRAFANA_KEY_FINGERPRINT=${GRAFANA_KEY_FINGERPRINT:-B53AE77BADB630A683046005963FA27710458545}
GRAFANA_SKIP=${GRAFANA_SKIP:-0}
SOURCE=$STAGE/observability/grafana
require_file "$SOURCE/provisioning" "$SOURCE/dashboards"

if [ "$GRAFANA_SKIP" = 1 ]; then
  log "SKIP: GRAFANA_SKIP=1, Grafana's package is not installed (its repository is unreachable here)"
else
  apt_install gnupg
  keyring=/etc/apt/keyrings/grafana.gpg
  if [ ! -s "$keyring" ]; then
    log "fetching Grafana's signing key"
    key=$(mktemp)
    curl -fsSL --retry 3 "$GRAFANA_KEY_URL" -o "$key"
    fingerprint=$(gpg --show-keys --with-colons "$key" | awk -F: '$1 == "fpr" {print $10; exit}')
    [ "$fingerprint" = "$GRAFANA_KEY_FINGERPRINT" ] ||
      die "Grafana's key has fingerprint '$fingerprint', expected $GRAFANA_KEY_FINGERPRINT"
    install -d -m 0755 /etc/apt/keyrings
    gpg --dearmor <"$key" >"$keyring"
    chmod 0644 "$keyring"
    rm -f "$key"
  fi
  echo "deb [signed-by=$keyring] $GRAFANA_REPO stable main" >/etc/apt/sources.list.d/grafana.list
  apt_get update
  if [ "$(dpkg-query -W -f='${Version}' grafana 2>/dev/null || true)" != "$GRAFANA_VERSION" ]; then
    log "installing grafana $GRAFANA_VERSION"
    apt_get install --no-install-recommends --allow-downgrades "grafana=$GRAFANA_VERSION"
  fi
  # Upgrades are a new image with a new GRAFANA_VERSION, never an unattended change on a running instance.
  apt-mark hold grafana
fi

log "installing the provisioning and dashboards"
install -d -m 0755 /etc/grafana/provisioning /etc/grafana/dashboards
# Replaced as a whole: what the image holds is exactly what the repository has.
rm -rf /etc/grafana/provisioning/datasources /etc/grafana/provisioning/dashboards /etc/grafana/dashboards/*
cp -R "$SOURCE/provisioning/." /etc/grafana/provisioning/
cp -R "$SOURCE/dashboards/." /etc/grafana/dashboards/
chmod -R u=rwX,go=rX /etc/grafana/provisioning /etc/grafana/dashboards
