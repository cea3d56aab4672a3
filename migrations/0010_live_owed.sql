-- Live updates owed: a command that changes the store and then the live set to match (an import,
-- a prune, a restore) writes its row first and removes it once the live set is updated. A row whose
-- process is gone was cut short between the two (killed, or its tool failed): the live set lags the
-- store, which the checks of nftables and routes, which count no entries, would not see. The next
-- check (`restore --if-missing`, the daemon's) restores, and a restore settles what it covered.
CREATE TABLE live_owed (
  id         INTEGER PRIMARY KEY,
  pid        INTEGER NOT NULL,
  started_ms INTEGER NOT NULL, -- unix milliseconds, of the wall clock: orders it with a restore's read
  what       TEXT    NOT NULL  -- "import of /root/list.txt", "prune", "restore"
) STRICT;
