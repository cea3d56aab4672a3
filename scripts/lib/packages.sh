# The Debian packages stickyban needs, in one place: scripts/install.sh installs the product's,
# scripts/test.sh the product's and the test suite's, and .ci/run runs both scripts, so the README's
# two commands and CI cannot drift apart. Sourced, not run.

# What stickyban drives (ipset, iptables, nftables, iproute2), the fail2ban it plugs into, and what
# builds the SQLite binding (better-sqlite3 compiles against Node's headers).
PRODUCT_PACKAGES=(ipset iptables nftables iproute2 fail2ban python3 make g++)

# What only the tests use: ping and nc send packets over veth pairs, setpriv (util-linux) runs
# commands as an unprivileged user, ipset-persistent is the netfilter-persistent plugin the contrib
# test drives, and postgresql provides initdb/pg_ctl for the fleet tests' own throwaway cluster.
# Kept out of the product install: ipset-persistent changes what netfilter-persistent saves on a
# real server, and a server needs no PostgreSQL of its own to join a fleet.
TEST_PACKAGES=(iputils-ping netcat-openbsd util-linux ipset-persistent postgresql)

# Installs the packages given that are not installed yet; nothing when all are. With
# QUIET_SERVICES=1, services that the packages would start (netfilter-persistent loading saved
# rules, a system PostgreSQL cluster, fail2ban) stay stopped while apt runs.
install_missing() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  local policy=/usr/sbin/policy-rc.d ours=
  if [ "${QUIET_SERVICES:-0}" = 1 ] && [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
    # invoke-rc.d asks this file whether a package may start its service; 101 means no.
    printf '#!/bin/sh\n# written by stickyban scripts/test.sh while apt runs\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    ours=1
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
  [ -z "$ours" ] || rm -f "$policy"
  return $status
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$1: run as root (sudo $1)" >&2
    exit 1
  fi
}

require_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "$1: stickyban needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
  fi
}
