-- Where this host stands with the fleet (src/fleet/): `cursor`, the position in the shared log up to
-- which its events are applied here; `published`, the id of the last local ban event sent to it.
CREATE TABLE fleet_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
