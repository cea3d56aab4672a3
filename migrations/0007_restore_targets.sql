-- What each restore loaded besides the backend's name, so that the next one knows what it replaces:
-- `target`, the backend's own settings then (JSON: ipset and chain names, the nftables table, the
-- route metric), so a restore after a rename removes what the old names left; `config_backend`,
-- the backend the config named then, so a `restore --backend` stays the live one until the config
-- changes. NULL in restores recorded before.
ALTER TABLE restores ADD COLUMN target TEXT;
ALTER TABLE restores ADD COLUMN config_backend TEXT;
