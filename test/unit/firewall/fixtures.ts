// Real tool output, pasted from runs in a network namespace (nft 1.0.6, iproute2 6.1.0, kernel 6.18).

/**
 * `nft -j list table inet stickyban` after a restore plus, by hand, a range element in v4 and one more
 * address in v4_hosts (every element form nft prints: address, prefix, range, IPv4-mapped IPv6).
 */
export const NFT_TABLE_FULL = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "stickyban", "handle": 31}}, {"set": {"family": "inet", "name": "v4_hosts", "table": "stickyban", "type": "ipv4_addr", "handle": 2, "size": 65536, "elem": ["192.0.2.1", "198.51.100.7", "203.0.113.200"]}}, {"set": {"family": "inet", "name": "v4", "table": "stickyban", "type": "ipv4_addr", "handle": 3, "flags": ["interval"], "elem": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, {"prefix": {"addr": "172.16.0.0", "len": 12}}, {"prefix": {"addr": "198.51.100.0", "len": 30}}, {"range": ["203.0.113.3", "203.0.113.9"]}]}}, {"set": {"family": "inet", "name": "v6_hosts", "table": "stickyban", "type": "ipv6_addr", "handle": 4, "size": 65536, "elem": ["::ffff:1.2.3.4", "2001:db8::1"]}}, {"set": {"family": "inet", "name": "v6", "table": "stickyban", "type": "ipv6_addr", "handle": 5, "flags": ["interval"], "elem": [{"prefix": {"addr": "::ffff:0.0.0.0", "len": 96}}, {"prefix": {"addr": "2001:db8:5::", "len": 48}}]}}, {"chain": {"family": "inet", "table": "stickyban", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": -10, "policy": "accept"}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 6, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4_hosts"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 7, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "@v6_hosts"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 9, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "@v6"}}, {"drop": null}]}}]}';

/** The same after restoring an empty plan: sets without "elem". */
export const NFT_TABLE_EMPTY = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "stickyban", "handle": 41}}, {"set": {"family": "inet", "name": "v4_hosts", "table": "stickyban", "type": "ipv4_addr", "handle": 2, "size": 65536}}, {"set": {"family": "inet", "name": "v4", "table": "stickyban", "type": "ipv4_addr", "handle": 3, "flags": ["interval"]}}, {"set": {"family": "inet", "name": "v6_hosts", "table": "stickyban", "type": "ipv6_addr", "handle": 4, "size": 65536}}, {"set": {"family": "inet", "name": "v6", "table": "stickyban", "type": "ipv6_addr", "handle": 5, "flags": ["interval"]}}, {"chain": {"family": "inet", "table": "stickyban", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": -10, "policy": "accept"}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 6, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4_hosts"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 7, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "@v6_hosts"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 9, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "@v6"}}, {"drop": null}]}}]}';

/** `nft -j list set inet stickyban v6_hosts` of an empty set. */
export const NFT_SET_EMPTY = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "v6_hosts", "table": "stickyban", "type": "ipv6_addr", "handle": 4, "size": 65536}}]}';

/**
 * An admin edited our table: policy drop, the ip6 @v6 rule deleted, the ip @v4 rule duplicated and an
 * accept rule added (nft delete rule / add rule / chain ... { policy drop; }).
 */
export const NFT_TABLE_EDITED = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "stickyban", "handle": 41}}, {"set": {"family": "inet", "name": "v4_hosts", "table": "stickyban", "type": "ipv4_addr", "handle": 2, "size": 65536}}, {"set": {"family": "inet", "name": "v4", "table": "stickyban", "type": "ipv4_addr", "handle": 3, "flags": ["interval"]}}, {"set": {"family": "inet", "name": "v6_hosts", "table": "stickyban", "type": "ipv6_addr", "handle": 4, "size": 65536}}, {"set": {"family": "inet", "name": "v6", "table": "stickyban", "type": "ipv6_addr", "handle": 5, "flags": ["interval"]}}, {"chain": {"family": "inet", "table": "stickyban", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": -10, "policy": "drop"}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 6, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4_hosts"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 7, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "@v6_hosts"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 13, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@v4"}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "stickyban", "chain": "input", "handle": 14, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}]}';

/** A table of that name built by someone else: wrong set types and flags, no rules, priority 0. */
export const NFT_TABLE_FOREIGN = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "stickyban", "handle": 42}}, {"set": {"family": "inet", "name": "v4", "table": "stickyban", "type": "ipv4_addr", "handle": 2, "elem": ["192.0.2.1"]}}, {"set": {"family": "inet", "name": "v6_hosts", "table": "stickyban", "type": "ipv6_addr", "handle": 3, "flags": ["interval"]}}, {"set": {"family": "inet", "name": "v6", "table": "stickyban", "type": "inet_service", "handle": 4}}, {"chain": {"family": "inet", "table": "stickyban", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}]}';

/** `nft -j list chains inet` with an admin's table beside ours. */
export const NFT_CHAINS =
  '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"chain": {"family": "inet", "table": "stickyban", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": -10, "policy": "accept"}}, {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}]}';

/** `nft -j list set inet z c` of a timeout set: elements wrapped in "elem" with timeout and comment. */
export const NFT_SET_TIMEOUT = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "c", "table": "z", "type": "ipv4_addr", "handle": 3, "flags": ["timeout"], "elem": [{"elem": {"val": "1.2.3.4", "timeout": 3600, "expires": 3599, "comment": "x"}}]}}]}';

/** `ip -j route show type blackhole` with ours (metric 4242), the admin's (metric 100) and a default. */
export const IP_ROUTES_V4 = '[{"type":"blackhole","dst":"default","metric":4242,"flags":[]},{"type":"blackhole","dst":"192.0.2.1","metric":100,"flags":[]},{"type":"blackhole","dst":"192.0.2.1","metric":4242,"flags":[]},{"type":"blackhole","dst":"198.51.100.0/24","metric":4242,"flags":[]}]';

/** `ip -j -6 route show type blackhole`. */
export const IP_ROUTES_V6 = '[{"type":"blackhole","dst":"2001:db8:1::7","dev":"lo","metric":4242,"flags":[],"pref":"medium"},{"type":"blackhole","dst":"2001:db8::/32","dev":"lo","metric":4242,"flags":[],"pref":"medium"},{"type":"blackhole","dst":"default","dev":"lo","metric":4242,"flags":[],"pref":"medium"}]';

/** stderr of `ip -force -batch -` where lines 2, 3 and 4 failed. */
export const IP_BATCH_STDERR = `RTNETLINK answers: No such process
Command failed -:2
RTNETLINK answers: No such process
Command failed -:3
RTNETLINK answers: File exists
Command failed -:4
`;

/** stderr of `ip -batch -` whose line 8 (a unicast route via a device that is down) failed. */
export const IP_BATCH_STDERR_NEXTHOP = `Error: Device for nexthop is not up.
Command failed -:8
`;
