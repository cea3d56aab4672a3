-- stickyban store, first version.
-- Addresses are kept as numbers so nothing after the write re-parses text: `first` and `last` are the
-- inclusive range of the banned block, an INTEGER for IPv4 and a 16-byte big-endian BLOB for IPv6
-- (BLOBs compare with memcmp, so ORDER BY is numeric within a family). `address` is the canonical text.

-- Every ban is an event; an address's history and counts come from these rows.
CREATE TABLE bans (
  id        INTEGER PRIMARY KEY,
  uuid      BLOB    NOT NULL UNIQUE CHECK (length(uuid) = 16), -- global id, so stores of a fleet merge without duplicates
  origin    TEXT    NOT NULL,                                  -- host name that recorded the event
  family    INTEGER NOT NULL CHECK (family IN (4, 6)),
  first     ANY     NOT NULL,
  last      ANY     NOT NULL,
  address   TEXT    NOT NULL,
  jail      TEXT    NOT NULL,
  banned_at INTEGER NOT NULL,                                  -- unix seconds
  bantime   INTEGER,                                           -- seconds as fail2ban gave it, -1 forever, NULL unknown
  source    TEXT    NOT NULL,                                  -- fail2ban, manual, import:<format>, ...
  reason    TEXT,
  restored  INTEGER NOT NULL DEFAULT 0 CHECK (restored IN (0, 1)), -- fail2ban replayed it after a restart
  lifted_at INTEGER,                                           -- set by `stickyban unban`; the row stays as history
  lifted_by TEXT
) STRICT;

-- Covers the planner's scan (active rows grouped by block) and every per-address lookup.
CREATE INDEX bans_by_block ON bans (family, first, last, lifted_at, jail, banned_at, restored, source);

-- Ranges that are never blocked, whatever the bans say.
CREATE TABLE safelist (
  id       INTEGER PRIMARY KEY,
  family   INTEGER NOT NULL CHECK (family IN (4, 6)),
  first    ANY     NOT NULL,
  last     ANY     NOT NULL,
  address  TEXT    NOT NULL,
  note     TEXT,
  added_at INTEGER NOT NULL,
  UNIQUE (family, first, last)
) STRICT;
