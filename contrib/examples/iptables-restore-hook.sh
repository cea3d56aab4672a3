#!/bin/sh
# Example: a firewall script that reloads the whole ruleset with iptables-restore, then puts
# stickyban's blocklist back on top. Any script that replaces the ruleset should end like this.
set -eu
iptables-restore < /etc/iptables/rules.v4
ip6tables-restore < /etc/iptables/rules.v6
/usr/local/bin/stickyban restore --if-missing --quiet
