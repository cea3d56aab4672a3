// Doctor's checks. Each returns findings; a finding that is not OK says how to fix it.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { formatNetwork } from '../address/format.js';
import { contains, type Network } from '../address/network.js';
import { hostAddresses } from '../actions/lockout.js';
import { formatTime } from '../clock.js';
import type { Config } from '../config/config.js';
import { cronProblem, daemonSchedules, isOff } from '../config/schedules.js';
import { quote } from '../input/quote.js';
import { debianPackageOf } from '../exec/run.js';
import type { Inspection } from '../firewall/backend.js';
import { describeTarget } from '../firewall/describe.js';
import type { Plan } from '../plan/plan.js';
import { hasBlockIndex } from '../store/block-index.js';
import { quarantinePath, spoolLineCounts, spoolPath } from '../store/spool.js';
import type { Store } from '../store/store.js';
import type { Family } from '../address/network.js';
import { formatDuration } from '../input/duration.js';
import { count } from '../input/plural.js';

export type Status = 'OK' | 'WARN' | 'FAIL';

export interface Finding {
  readonly status: Status;
  readonly check: string;
  readonly detail: string;
  readonly fix?: string;
}

const ok = (check: string, detail: string): Finding => ({ status: 'OK', check, detail });

const TOOLS: Record<Config['backend'], string[]> = {
  ipset: ['ipset', 'iptables', 'ip6tables'],
  nftables: ['nft'],
  route: ['ip'],
};

/**
 * The backend in force: the config's, or the one a `restore --backend` loaded, which stays in force
 * while the config names the backend it named then (actions/live.ts): said, with the way back.
 */
export function checkBackend(config: Config, inForce: Config['backend'] = config.backend): Finding {
  const target = describeTarget({ ...config, backend: inForce });
  if (inForce === config.backend) return ok('backend', `${inForce}: ${target}`);
  return ok('backend', `${inForce}: ${target} (loaded by restore --backend ${inForce}, in force although the config names ${config.backend}; stickyban restore --backend ${config.backend} goes back to it)`);
}

export function checkTools(config: Config, path: string = process.env.PATH ?? '', inForce: Config['backend'] = config.backend): Finding[] {
  return TOOLS[inForce].map((tool) => {
    const found = path.split(delimiter).some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    return found
      ? ok(`tool ${tool}`, 'installed')
      : { status: 'FAIL', check: `tool ${tool}`, detail: 'not installed', fix: `apt-get install ${debianPackageOf(tool)}` };
  });
}

export function checkRoot(): Finding {
  return process.getuid?.() === 0
    ? ok('root', 'running as root')
    : { status: 'FAIL', check: 'root', detail: 'not running as root: the firewall cannot be read or changed', fix: 'run stickyban doctor as root' };
}

export function checkStore(store: Store, now: number): Finding[] {
  const result = store.db.pragma('quick_check', { simple: true }) as string;
  const applied = store.db.prepare('SELECT count(*) FROM schema_migrations').pluck().get() as number;
  const totals = store.bans.totals(now);
  return [
    result === 'ok'
      ? ok('store', `${store.path}: integrity ok, ${count(totals.addresses, 'address', 'addresses')}, ${count(totals.events, 'event')}`)
      : { status: 'FAIL', check: 'store', detail: `${store.path}: ${result}`, fix: 'stop stickyban, copy the store aside, and rebuild it: stickyban export --format plain | stickyban import - --format plain' },
    ok('migrations', `${applied} applied, the schema is current`),
    hasBlockIndex(store.db)
      ? ok('store index', 'the block index is in place')
      : { status: 'WARN', check: 'store index', detail: 'the block index is missing (a fleet bootstrap is loading without it, or one was cut short): every plan scans the whole store', fix: 'stickyban restore builds it again once no fleet sync runs' },
  ];
}

/**
 * The backend's own checks, and whether the live entry counts match the plan. A set with fewer
 * entries than planned (emptied, short after an interrupted import or prune) leaves planned
 * addresses unblocked: a hole, FAIL. One with more blocks what the store no longer plans (an unban,
 * a safelist entry that did not reach it): FAIL as well, since the safelist must win.
 */
export function checkLive(inspection: Inspection, plan: Plan): Finding[] {
  const findings: Finding[] = inspection.checks.map((check): Finding => {
    if (!check.ok) return { status: 'FAIL', check: check.what, detail: check.problem ?? 'not in place', fix: check.fix ?? 'stickyban restore' };
    if (check.warning !== undefined) return { status: 'WARN', check: check.what, detail: check.warning, fix: check.fix ?? 'stickyban restore once the chain exists' };
    return ok(check.what, 'in place');
  });
  for (const [label, live, planned] of [
    ['IPv4 entries', inspection.entries.v4, plan.v4.entries.length],
    ['IPv6 entries', inspection.entries.v6, plan.v6.entries.length],
  ] as const) {
    if (live === undefined) continue;
    findings.push(
      live === planned
        ? ok(label, `${live} live, as planned from the store`)
        : {
            status: 'FAIL',
            check: label,
            detail: `${live} live, but the store plans ${planned}: ${live < planned ? `at least ${count(planned - live, 'planned entry is', 'planned entries are')} not blocked` : `${count(live - planned, 'entry', 'entries')} more than planned are blocked`}`,
            fix: 'stickyban restore',
          },
    );
  }
  return findings;
}

/**
 * How long a spooled ban may wait before it is a hole. A spooled ban is neither in the store nor
 * live. The daemon folds the spool within a second of a write, and a storm's later hooks fold it
 * once the store is free again: a line younger than this may be on its way in. One older has
 * nothing folding it (no daemon, and no command since), and stays unblocked until something does.
 */
export const SPOOL_WAIT_SECONDS = 60;

/** Planned entries the live set does not hold (deleted by hand, with another added in their place): a hole the counts do not show. */
export function checkLiveContent(family: Family, missing: readonly string[]): Finding {
  const label = `IPv${family} entries`;
  if (missing.length === 0) return ok(`${label} held`, 'every planned entry is in the live set');
  const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
  return { status: 'FAIL', check: `${label} held`, detail: `${count(missing.length, 'planned entry is', 'planned entries are')} not in the live set (${shown})`, fix: 'stickyban restore' };
}

/**
 * What earlier restores loaded and the one in force does not use (another backend, or this one
 * under other names), still in place: it goes on blocking what the store no longer plans (an
 * unbanned or safelisted address), never updated again.
 */
export function checkLeftovers(found: ReadonlyArray<{ readonly backend: string; readonly left: readonly string[] }>, current: string): Finding[] {
  return found.map(({ backend, left }) => ({
    status: 'FAIL',
    check: `stale ${backend}`,
    detail: `${left.join('; ')}: loaded by an earlier restore${backend === current ? ' under other names' : ` of the ${backend} backend`} and no longer updated, it may block what the store no longer plans`,
    // A set a rule of the admin's still uses cannot be destroyed: the restore says so, and leaves it.
    fix: backend === 'ipset' ? 'stickyban restore removes it (a set a rule of yours still uses: remove that rule first, see iptables -S and ip6tables -S)' : 'stickyban restore removes it',
  }));
}

/** Bans the hook spooled that no command has folded in yet, and spooled lines set aside as not valid. */
export function checkSpool(dbPath: string, now: number): Finding[] {
  const { waiting, quarantined, oldest } = spoolLineCounts(dbPath);
  const waited = oldest === undefined ? 0 : Math.max(0, now - oldest);
  const where = `${waiting === 1 ? '1 spooled line waits' : `${waiting} spooled lines wait`} in ${spoolPath(dbPath)} to be folded into the store`;
  const findings: Finding[] = [
    waiting === 0
      ? ok('spool', 'no ban waits in the spool')
      : waited > SPOOL_WAIT_SECONDS
        ? { status: 'FAIL', check: 'spool', detail: `${where}, the oldest for ${formatDuration(waited)}: neither recorded nor blocked`, fix: 'stickyban restore folds them in; the daemon (systemctl enable --now stickyban) folds them within a second' }
        : { status: 'WARN', check: 'spool', detail: `${where} (the oldest spooled ${formatDuration(waited)} ago)`, fix: 'any command that writes folds them in: stickyban restore' },
  ];
  if (quarantined > 0) {
    const bad = quarantinePath(dbPath);
    findings.push({
      status: 'WARN',
      check: 'spool quarantine',
      detail: `${bad} holds ${quarantined === 1 ? '1 line that was not a valid ban' : `${quarantined} lines that were not valid bans`}`,
      fix: `read it, ban by hand what was meant (stickyban ban), then remove ${bad}`,
    });
  }
  return findings;
}

export function checkLastRestore(store: Store): Finding {
  const last = store.restores.last();
  if (!last) return { status: 'WARN', check: 'last restore', detail: 'never restored', fix: 'stickyban restore' };
  return ok('last restore', `${formatTime(last.started_at)} by ${last.trigger} (${last.backend}), ${count(last.entries4 + last.entries6, 'entry', 'entries')} in ${(last.duration_ms / 1000).toFixed(2)} s`);
}

/** Loopback and every address of this host should be safelisted (loopback always is). */
export function checkHostSafelisted(safelist: readonly Network[]): Finding[] {
  const findings: Finding[] = [ok('safelist loopback', '127.0.0.0/8 and ::1 are always safelisted')];
  for (const { network, interface: name, internal } of hostAddresses()) {
    // Link-local addresses are not reachable from outside the link, so nobody bans them.
    if (internal || formatNetwork(network).startsWith('fe80:')) continue;
    const address = formatNetwork(network);
    const covered = safelist.some((range) => range.family === network.family && contains<number | bigint>(range, network));
    findings.push(
      covered
        ? ok(`safelist ${address}`, `this host's address (${name}) is safelisted`)
        : { status: 'WARN', check: `safelist ${address}`, detail: `this host's address (${name}) is not safelisted`, fix: `stickyban safelist add ${address} --note "${name}"` },
    );
  }
  return findings;
}

/** The daemon's schedules: only the daemon reads them, so a typo would otherwise show when it starts. */
export function checkSchedules(config: Config): Finding[] {
  return Object.values(daemonSchedules(config.daemon))
    .filter((setting) => !isOff(setting))
    .map((setting): Finding => {
      const { key, expression } = setting;
      const problem = cronProblem(setting);
      if (problem === undefined) return ok(`daemon ${key}`, quote(expression));
      return { status: 'FAIL', check: `daemon ${key}`, detail: problem, fix: `correct it in ${config.file ?? 'the config file'}` };
    });
}
