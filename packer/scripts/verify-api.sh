#!/usr/bin/env bash
# scripts/verify-api.sh: the api image before it is sealed: the jlink runtime and its modules, the jars, the
# wrapper, the units (enabled, systemd-analyze verify) and node_exporter. Parameters (env): JAVA_RUNTIME_DIR.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

JAVA_RUNTIME_DIR=${JAVA_RUNTIME_DIR:-/opt/prometheus-demo/java}
verify_common
require_file /opt/order-api/order-api.jar /opt/order-api/libs /opt/order-api/order-api.aot /usr/local/bin/order-api \
  /etc/prometheus-demo/order-api.env

# The modules the API needs (prepare-artifacts.sh derives them with jdeps and proves them by a run).
modules=$(sed -n 's/^MODULES="\(.*\)"$/\1/p' "$JAVA_RUNTIME_DIR/release")
for module in java.base java.sql java.naming java.management jdk.management; do
  [[ " $modules " == *" $module "* ]] || die "the Java runtime lacks $module"
done
"$JAVA_RUNTIME_DIR/bin/java" -version 2>&1 | head -1
# Every jar the manifest's Class-Path names is there (python3 is on every Ubuntu image: cloud-init needs it).
python3 - /opt/order-api <<'PY' || die "order-api.jar's Class-Path names a missing jar"
import os, sys, zipfile
home = sys.argv[1]
manifest = zipfile.ZipFile(os.path.join(home, "order-api.jar")).read("META-INF/MANIFEST.MF").decode()
text = manifest.replace("\r\n", "\n").replace("\n ", "")
paths = next((l.split(":", 1)[1].split() for l in text.splitlines() if l.startswith("Class-Path:")), [])
missing = [p for p in paths if not os.path.isfile(os.path.join(home, p))]
print(f"order-api.jar: {len(paths)} Class-Path jars, {len(missing)} missing {missing}")
sys.exit(1 if missing or not paths else 0)
PY

# The AOT cache fits this runtime and these jars: with -XX:AOTMode=on a cache the JVM cannot map is an error.
"$JAVA_RUNTIME_DIR/bin/java" -XX:AOTCache=/opt/order-api/order-api.aot -XX:AOTMode=on -jar /opt/order-api/order-api.jar \
  --help >/dev/null || die "the JVM cannot use /opt/order-api/order-api.aot"

verify_units prometheus-node-exporter.service order-api-config.service order-api-migrate.service order-api.service
log "api image verified"
