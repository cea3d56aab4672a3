#!/usr/bin/env bash
# Installs stickyban on this Debian host and runs the first restore:
#   the Debian packages it drives (ipset, iptables, nftables, iproute2) and fail2ban,
#   npm dependencies and the build, /usr/local/bin/stickyban,
#   the contrib files (fail2ban action, systemd units enabled and started, netfilter-persistent plugin),
#   then `stickyban restore` so the blocklist is live.
# Safe to run again: nothing an admin edited is overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo scripts/install.sh)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: stickyban needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

packages=(ipset iptables nftables iproute2 fail2ban python3 make g++)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
npm run build
ln -sfn "$PWD/dist/stickyban.cjs" /usr/local/bin/stickyban

stickyban install-contrib
stickyban restore
