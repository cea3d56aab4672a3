-- Bans with bantime -1 (fail2ban's "forever", and imported blocklists) are kept by the retention
-- policy like manual ones. The planner decides that from the block index alone, so bantime joins it.
DROP INDEX bans_by_block;
CREATE INDEX bans_by_block ON bans (family, first, last, lifted_at, jail, banned_at, restored, source, bantime);
