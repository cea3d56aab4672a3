-- What a restore was loading when it owed the live set: its backend and target (the names it loads:
-- sets, table, metric). A `restore --backend` killed during its load left that backend's sets and
-- rules in the kernel, never recorded (the switch is recorded once loaded): no restore retired
-- them, doctor did not see them, and they went on dropping what the store had lifted or safelisted.
-- A note whose process is gone names them, so the next restore that removes leftovers removes
-- them too. A restore of something else pays what the note owed the live set but not what it may
-- have left: `settled` then keeps it as a leftover alone, owed no more. NULL and 0 for every other
-- owed update.
ALTER TABLE live_owed ADD COLUMN backend TEXT;
ALTER TABLE live_owed ADD COLUMN target TEXT;
ALTER TABLE live_owed ADD COLUMN settled INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1));
