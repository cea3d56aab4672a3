-- Who owes a live update, beyond its pid: the kernel hands pids out again, and a pid written in
-- another pid namespace names some other process here. A note whose process is judged by its pid
-- alone looked owed by a live process for as long as another held that id, and the checks that
-- rely on the note (nftables, routes) said the blocklist was in place. Its pid namespace (the inode
-- of /proc/self/ns/pid) and its start (clock ticks since boot, /proc/self/stat) tell it apart.
-- Notes written before this are judged by their pid, as they were.
ALTER TABLE live_owed ADD COLUMN pid_ns INTEGER;
ALTER TABLE live_owed ADD COLUMN start_ticks INTEGER;
