-- The local events a push sends next, and how many wait (src/store/fleet.ts): by id, after the
-- published mark. Without this index both read every row after the mark, the fleet's too: a host
-- that subscribes only (its mark never moves) or has just bootstrapped from the log read its whole
-- store, a million rows, at each push, health answer and metrics write, on the daemon's loop.
-- The fleet's events are left out, so a bulk catch-up does not write this index at all.
CREATE INDEX bans_local ON bans (id) WHERE source NOT LIKE 'fleet:%' AND until IS NULL;
