-- Dry runs were once recorded as restores (trigger 'dry-run'). They loaded nothing, so a record of
-- one must not count as the last restore, nor as the backend in place; nothing records them now.
DELETE FROM restores WHERE trigger = 'dry-run';
