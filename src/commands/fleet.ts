// `stickyban fleet init | add-host NAME | status | sync`: the shared log in PostgreSQL (src/fleet/).
// init and add-host are the admin's (the role that owns the schema); status and sync are any host's.

import { checkedUrlOption } from '../config/fleet-url.js';
import { HOST_NAME, HOST_NAME_EXPECTED } from '../config/host-name.js';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { removeIfOurs } from '../files/remove-if-ours.js';
import { formatTime } from '../clock.js';
import { describeFsError, OperationalError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { replacedBytes } from '../input/path-text.js';
import { applyChange } from '../fleet/changes.js';
import { BulkCatchUp } from '../fleet/bulk-catch-up.js';
import { push, pull, type Appliers } from '../fleet/exchange.js';
import { fleetHealth } from '../fleet/health.js';
import { checkFleetSchema, migrateFleet } from '../fleet/migrate.js';
import { connect, type Connection } from '../fleet/pg.js';
import { applyLive, liveBackend } from '../actions/live.js';
import { awaitLater } from '../exec/run.js';
import { recordBansOwing } from '../actions/ban.js';
import { restoreLive } from '../actions/restore.js';
import { owedProblem } from '../actions/live-owed.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import type { Context } from './context.js';
import { openStore, openStoreToWrite } from './open-store.js';
import { formatTable } from './table.js';
import { count } from '../input/plural.js';


async function withConnection<T>(ctx: Context, url: string | undefined, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await connect(ctx.config.fleet, url ?? ctx.config.fleet.url);
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** Creates or upgrades the fleet schema (as the admin role, which then owns it). */
export async function fleetInit(options: { url?: string }, ctx: Context): Promise<void> {
  if (options.url !== undefined) checkedUrlOption(options.url, '--url');
  await withConnection(ctx, options.url, async (connection) => {
    const applied = await migrateFleet(connection);
    ctx.out.info(applied.length === 0 ? `the fleet schema in ${connection.describe} is current` : `applied ${applied.join(', ')} to ${connection.describe}`);
  });
}

/**
 * A login role for one host: it may read the log and append bans in its own name, nothing else.
 * Its password is made here and written once: to --password-file (created 0600, never over an
 * existing file), or printed.
 */
/** How long a host role's session may sit in an open transaction: its own statements take milliseconds. */
const IDLE_IN_TRANSACTION = '30s';

export async function fleetAddHost(name: string, options: { url?: string; passwordFile?: string }, ctx: Context): Promise<void> {
  if (!HOST_NAME.test(name)) throw new UsageError(`invalid host name ${quote(name)}: expected ${HOST_NAME_EXPECTED}`);
  const role = `stickyban_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  // PostgreSQL cuts a longer name to 63 bytes, silently: the role would not be the one named, and
  // two hosts alike in their first 53 characters would be one.
  if (Buffer.byteLength(role) > 63) throw new UsageError(`invalid host name ${quote(name)}: expected at most 53 characters, so that its PostgreSQL role ${role.slice(0, 20)}… fits the 63 PostgreSQL allows`);
  if (options.url !== undefined) checkedUrlOption(options.url, '--url');
  const password = randomBytes(24).toString('base64url');
  // Created before the role: a file in the way refuses the whole thing, and no password is lost.
  const fd = options.passwordFile === undefined ? undefined : createSecretFile(options.passwordFile);
  let added = false;
  try {
    await withConnection(ctx, options.url, async (connection) => {
      await checkFleetSchema(connection);
      await connection.transaction(async (tx) => {
        const taken = await tx.query('SELECT 1 FROM stickyban.hosts WHERE name = $1 OR role = $2', [name, role]);
        if (taken.length > 0) throw new OperationalError(`host ${name} (role ${role}) is in the fleet already`);
        // CREATE ROLE takes no parameters: format() quotes the name and the password.
        const [statement] = await tx.query<{ sql: string }>("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE stickyban_host', $1::text, $2::text) AS sql", [role, password]);
        await tx.query(statement!.sql);
        // Rows are read up to the oldest transaction still open in the cluster (the cursor that
        // skips nothing): one a host role leaves open would hold every host's sync back.
        const [idle] = await tx.query<{ sql: string }>(`SELECT format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', $1::text, '${IDLE_IN_TRANSACTION}') AS sql`, [role]);
        await tx.query(idle!.sql);
        await tx.query('INSERT INTO stickyban.hosts (name, role) VALUES ($1, $2)', [name, role]);
      });
    });
    added = true;
    if (fd !== undefined) {
      writeSync(fd, `${password}\n`);
      ctx.out.info(`added host ${name}: role ${role}, its password in ${options.passwordFile} (copy it to that host, mode 600, as [fleet] password_file)`);
    } else {
      ctx.out.info(`added host ${name}: role ${role}`);
      ctx.out.data(`${password}\n`);
      ctx.out.warn(`the password above is shown once: put it on host ${name} in a file of mode 600 named by [fleet] password_file`);
    }
  } finally {
    if (fd !== undefined) {
      // Made by this command (O_EXCL) and still empty: no role has its password, and a retry must
      // find the name free. Removed only if the name is still that file.
      const made = fstatSync(fd);
      closeSync(fd);
      if (!added) removeIfOurs(options.passwordFile!, made);
    }
  }
}

function createSecretFile(path: string): number {
  if (path === '' || replacedBytes(path)) throw new UsageError(`invalid --password-file ${quote(path)}: ${replacedBytes(path) ?? 'expected the path of a new file'}`);
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    // Written once, never over a file: one there already (or a link) is the admin's to move away.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UsageError(`invalid --password-file ${quote(path)}: it exists already; expected the path of a new file (the password is written once)`);
    }
    throw new OperationalError(`cannot create --password-file ${quote(path)}: ${describeFsError(error)}`);
  }
}

/** Connection, this host's position and lag, what waits to be sent, and every host's last sight. */
export async function fleetStatus(options: { json?: boolean }, ctx: Context): Promise<void> {
  const store = await openStore(ctx, { reading: true });
  try {
    const health = await fleetHealth(store, ctx.config);
    const result = {
      database: health.database,
      host: ctx.config.fleet.host,
      position: store.read(() => store.fleet.get('cursor')) ?? '0:0',
      behind: health.behind,
      waiting_to_publish: health.waiting,
      hosts: health.hosts.map((host) => ({ name: host.name, last_seen: host.lastSeen === null ? null : formatTime(host.lastSeen), position: host.position, version: host.version })),
    };
    if (options.json) {
      ctx.out.data(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    ctx.out.data(
      `database: ${result.database} (connected)\nhost:     ${result.host}\nposition: ${result.position}, ${count(result.behind, 'event')} of other hosts not applied yet${health.oldest ? ` (oldest ${health.oldest})` : ''}\nwaiting:  ${count(result.waiting_to_publish, 'local event')} to publish\n\n` +
        formatTable(['HOST', 'LAST SEEN', 'POSITION', 'VERSION'], result.hosts.map((host) => [host.name, host.last_seen ?? 'never', host.position ?? '-', host.version ?? '-'])),
    );
  } finally {
    store.close();
  }
}

/** One push and one pull, for a host that syncs on a timer instead of running the daemon. */
export async function fleetSync(_options: object, ctx: Context): Promise<void> {
  const store = await openStoreToWrite(ctx);
  try {
    await withConnection(ctx, undefined, async (connection) => {
      await checkFleetSchema(connection);
      const fleet = ctx.config.fleet;
      const persist = async (work: () => void) => void store.write(work);
      const pushed = fleet.publish ? await push(connection, store, fleet, persist) : 0;
      const pulled = fleet.subscribe ? await pull(connection, store, fleet, commandAppliers(store, ctx), persist, (line) => ctx.out.warn(`fleet: ${line}`)) : undefined;
      if (pulled && !pulled.bulk) await payOwed(store, ctx);
      await connection.query('UPDATE stickyban.hosts SET last_seen = now(), position = $1, version = $2 WHERE name = $3', [store.read(() => store.fleet.get('cursor')) ?? '0:0', VERSION, fleet.host]);
      ctx.out.info(`sent ${pushed} local event(s); applied ${pulled?.applied ?? 0} from other hosts${pulled && pulled.skipped > 0 ? `, skipped ${pulled.skipped}` : ''}${pulled?.bulk ? ' (in bulk, then restored the live set)' : ''}`);
    });
  } finally {
    store.close();
  }
}

/**
 * What a process that is gone owed the live set (a sync killed before its live update), restored
 * now: a host that syncs on a timer has no daemon to find it, and the timer is its next check.
 */
async function payOwed(store: Store, ctx: Context): Promise<void> {
  const owed = owedProblem(store);
  if (!owed) return;
  ctx.out.info(`fleet: ${owed.what} ${owed.problem}; restoring it from the store`);
  await restoreLive(store, ctx.config, ctx.clock, () => liveBackend(store, ctx), { trigger: 'fleet' });
}

/**
 * A command's appliers: each ban recorded and made live as the hook does, or in bulk, from a thread
 * of their own while the next pages are read (bulk-catch-up.ts), and one restore.
 */
function commandAppliers(store: Store, ctx: Context): Appliers {
  const catchUp = new BulkCatchUp(store, ctx.config.busyTimeoutMs, { durable: false, indexAfterIntoEmpty: true });
  return {
    bans: async (events, bulk) => {
      if (bulk) return catchUp.insert(events, ctx.clock());
      const { delta, owed } = recordBansOwing(store, ctx.config, ctx.clock(), events, `fleet sync of ${count(events.length, 'ban')}`);
      await applyLive(store, ctx, delta);
      owed?.end();
    },
    change: async (event, bulk, record) => ctx.out.info(`fleet: ${await applyChange(store, ctx, event, undefined, record, bulk)}`),
    restore: async () => {
      // The index first, which the restore reads by; the thread's checkpoint runs beside the
      // restore, and the command ends when both have.
      await catchUp.ready();
      const finishing = awaitLater(catchUp.finish());
      await restoreLive(store, ctx.config, ctx.clock, () => liveBackend(store, ctx), { trigger: 'fleet' });
      await finishing;
    },
    end: () => catchUp.stop(),
  };
}
