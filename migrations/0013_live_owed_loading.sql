-- What a restore was loading when it owed the live set: its backend and target (the names it loads:
-- sets, table, metric). A `restore --backend` killed during its load left that backend's sets and
-- rules in the kernel, never recorded (the switch is recorded once loaded): no restore retired
-- them, doctor did not see them, and they went on dropping what the store had lifted or safelisted.
-- A note whose process is gone names them, so the next restore removes them as it removes what a
-- backend used before left. NULL for every other owed update.
ALTER TABLE live_owed ADD COLUMN backend TEXT;
ALTER TABLE live_owed ADD COLUMN target TEXT;
