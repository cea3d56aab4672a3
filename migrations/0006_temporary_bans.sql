-- A temporary ban (`stickyban ban --duration`) ends by itself. It is recorded lifted at its end, a
-- time still to come: an event counts as active while it is not lifted yet at the time asked about
-- (lifted_at IS NULL OR lifted_at > now), which the block index answers alone, so the index is
-- unchanged. `until` keeps the end it was given, also when an unban lifts it sooner: it marks the
-- ban temporary (the fleet is not given it), and its small index finds the bans that ended by
-- themselves since the last restore, which a restore takes out of the live set.
ALTER TABLE bans ADD COLUMN until INTEGER;
CREATE INDEX bans_until ON bans (until) WHERE until IS NOT NULL;
