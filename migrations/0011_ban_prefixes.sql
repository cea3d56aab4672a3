-- The prefix lengths of the blocks ever banned, per family. A batch of host bans (the daemon's
-- group commit, a page of the fleet's) looks for the blocks around each host at the start of each
-- length stored (src/store/bans.ts, qualifyingAroundHosts): for a store of host bans one seek per
-- host instead of 32 (IPv6: 128). Every insert of bans adds the lengths it brings
-- (BanTable.insertMany), in its own transaction; none is removed: a length whose blocks are all gone
-- costs a seek, no more.
CREATE TABLE ban_prefixes (
  family INTEGER NOT NULL CHECK (family IN (4, 6)),
  prefix INTEGER NOT NULL CHECK (prefix BETWEEN 0 AND 128),
  PRIMARY KEY (family, prefix)
) STRICT, WITHOUT ROWID;

WITH RECURSIVE lengths(prefix) AS (SELECT 0 UNION ALL SELECT prefix + 1 FROM lengths WHERE prefix < 32)
INSERT INTO ban_prefixes (family, prefix)
SELECT 4, prefix FROM lengths WHERE (1 << (32 - prefix)) - 1 IN (SELECT last - first FROM bans WHERE family = 4);

-- IPv6 blocks are BLOBs, whose widths SQL does not work out: every length, if any IPv6 block is stored.
WITH RECURSIVE lengths(prefix) AS (SELECT 0 UNION ALL SELECT prefix + 1 FROM lengths WHERE prefix < 128)
INSERT INTO ban_prefixes (family, prefix)
SELECT 6, prefix FROM lengths WHERE EXISTS (SELECT 1 FROM bans WHERE family = 6);
