-- The live set is compared with the plan by entry counts (restore --if-missing, the daemon's
-- check). Counting the plan reads the whole store, so the counts are kept with the state of the
-- store they were counted in (src/actions/plan-count.ts) and counted again only when it changed.
-- New events are told by their ids, which only grow; `removals` counts the other changes to what
-- is planned: events lifted or deleted, safelist entries added or removed.
CREATE TABLE plan_changes (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  removals INTEGER NOT NULL
) STRICT;
INSERT INTO plan_changes (id, removals) VALUES (1, 0);

-- One row: the entries planned per family, now (`now4`, `now6`) and without the retention (`all4`,
-- `all6`), as of the newest event `max_id`, `removals`, the last restore `restore_id` and the
-- policy and config safelist `config`.
CREATE TABLE plan_counts (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  max_id     INTEGER NOT NULL,
  removals   INTEGER NOT NULL,
  restore_id INTEGER NOT NULL,
  config     TEXT    NOT NULL,
  now4       INTEGER NOT NULL,
  now6       INTEGER NOT NULL,
  all4       INTEGER NOT NULL,
  all6       INTEGER NOT NULL
) STRICT;
