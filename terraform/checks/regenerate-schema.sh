#!/usr/bin/env bash
# terraform/checks/regenerate-schema.sh
# Rebuilds schema/providers.json from the CDK Terrain provider packages (AWS provider 6.x, random); run after adding a resource or data type, or to move to a newer provider.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
aws_package="${AWS_PACKAGE:-@cdktn/provider-aws@25.7.0}"        # generated from hashicorp/aws 6.66.0
random_package="${RANDOM_PACKAGE:-@cdktn/provider-random@15.0.1}" # generated from hashicorp/random 3.9.1

scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT

# npm pack downloads the tarballs only (46 MB for AWS); nothing is installed into the project.
(cd "${scratch}" && npm pack --silent "${aws_package}" "${random_package}" >/dev/null)
mkdir -p "${scratch}/aws" "${scratch}/random"
tar -xzf "${scratch}"/cdktn-provider-aws-*.tgz -C "${scratch}/aws"
tar -xzf "${scratch}"/cdktn-provider-random-*.tgz -C "${scratch}/random"

node "${here}/lib/generate-schema.js" --aws "${scratch}/aws/package" --random "${scratch}/random/package" --module "${here}/.." "$@"
