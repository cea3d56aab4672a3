-- stickyban's fleet log, first version: the events every host appends and every host reads, in a
-- schema of its own. Applied by `stickyban fleet init` as the admin role, which owns it all.

CREATE SCHEMA IF NOT EXISTS stickyban;

-- One row per event, never updated or deleted: a ban, a fleet-wide lift, a safelist entry added or
-- removed fleet-wide. `uuid` is the event id of the host that recorded it (its SQLite store's), so
-- publishing twice is harmless. `xid` is the writing transaction: readers take rows in commit
-- order by (xid, id) below the oldest transaction still running, which a sequence alone cannot
-- give (an id taken first may commit last).
CREATE TABLE stickyban.events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  xid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
  uuid        uuid        NOT NULL UNIQUE,
  origin      text        NOT NULL,
  kind        text        NOT NULL CHECK (kind IN ('ban', 'lift', 'safelist-add', 'safelist-remove')),
  address     cidr        NOT NULL,
  jail        text,
  at          timestamptz NOT NULL,
  bantime     bigint,
  source      text,
  reason      text,
  restored    boolean     NOT NULL DEFAULT false,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_by_commit ON stickyban.events (xid, id);

-- The hosts of the fleet: the login role each appends as, and what it last reported.
CREATE TABLE stickyban.hosts (
  name       text PRIMARY KEY,
  role       name        NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen  timestamptz,
  position   text,
  version    text
);

-- Readers are woken by this; they read on a timer too, since notifications are lost while a
-- reader is disconnected and do not pass a pooler in transaction mode.
CREATE FUNCTION stickyban.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('stickyban_events', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON stickyban.events FOR EACH STATEMENT EXECUTE FUNCTION stickyban.notify_events();

-- Least privilege. A host's login role is a member of stickyban_host: it reads the log and the host
-- list, appends bans in its own name only, and updates its own row of hosts; nothing else. Fleet-wide
-- lifts and safelist entries come from the admin role.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stickyban_host') THEN
    CREATE ROLE stickyban_host NOLOGIN;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA stickyban TO stickyban_host;
GRANT SELECT ON stickyban.events, stickyban.hosts, stickyban.schema_migrations TO stickyban_host;
GRANT INSERT (uuid, origin, kind, address, jail, at, bantime, source, reason, restored) ON stickyban.events TO stickyban_host;
GRANT UPDATE (last_seen, position, version) ON stickyban.hosts TO stickyban_host;

ALTER TABLE stickyban.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY events_read ON stickyban.events FOR SELECT TO stickyban_host USING (true);
CREATE POLICY events_append_own_bans ON stickyban.events FOR INSERT TO stickyban_host
  WITH CHECK (kind = 'ban' AND origin = (SELECT name FROM stickyban.hosts WHERE role = current_user));

ALTER TABLE stickyban.hosts ENABLE ROW LEVEL SECURITY;
CREATE POLICY hosts_read ON stickyban.hosts FOR SELECT TO stickyban_host USING (true);
CREATE POLICY hosts_update_own ON stickyban.hosts FOR UPDATE TO stickyban_host USING (role = current_user) WITH CHECK (role = current_user);
