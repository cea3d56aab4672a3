#!/usr/bin/env bash
# Runs the whole test suite as root: installs what it needs that is missing (the product's Debian
# packages and the tests' own, see scripts/lib/packages.sh; the npm dependencies), then `npm test`.
# Services those packages would start stay stopped: the suite starts its own fail2ban and
# PostgreSQL, each in a temporary directory, and never touches the host's firewall.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh

require_root scripts/test.sh
require_node scripts/test.sh
QUIET_SERVICES=1 install_missing "${PRODUCT_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm test
