-- What each restore did: `stats`, `doctor` and the daemon's metrics report the last one.
CREATE TABLE restores (
  id          INTEGER PRIMARY KEY,
  started_at  INTEGER NOT NULL, -- unix seconds
  duration_ms INTEGER NOT NULL,
  backend     TEXT    NOT NULL,
  entries4    INTEGER NOT NULL,
  entries6    INTEGER NOT NULL,
  trigger     TEXT    NOT NULL  -- restore, daemon, import, ...
) STRICT;
