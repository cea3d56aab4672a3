#!/usr/bin/env bash
# Installs stickyban on this Debian host and runs the first restore:
#   the Debian packages it drives (ipset, iptables, nftables, iproute2) and fail2ban,
#   npm dependencies and the build, /usr/local/bin/stickyban,
#   the store (`stickyban init`: no other command creates one, so a mistyped path never becomes an
#   empty blocklist), the contrib files (fail2ban action, systemd units enabled and started,
#   netfilter-persistent plugin), then `stickyban restore` so the blocklist is live.
# Safe to run again: nothing an admin edited is overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh

require_root scripts/install.sh
require_node scripts/install.sh
install_missing "${PRODUCT_PACKAGES[@]}"

npm ci --no-audit --no-fund
npm run build
ln -sfn "$PWD/dist/stickyban.cjs" /usr/local/bin/stickyban

# Before install-contrib: the restore unit it starts refuses a store that does not exist.
stickyban init
stickyban install-contrib
stickyban restore
