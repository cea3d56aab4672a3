// Doctor's checks. Each returns findings; a finding that is not OK says how to fix it.

import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
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
import { quarantinePath, spoolLineCounts, spoolPath } from '../store/spool.js';
import type { Store } from '../store/store.js';

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

export function checkBackend(config: Config): Finding {
  return ok('backend', `${config.backend}: ${describeTarget(config)}`);
}

export function checkTools(config: Config, path: string = process.env.PATH ?? ''): Finding[] {
  return TOOLS[config.backend].map((tool) => {
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

export function checkStore(store: Store): Finding[] {
  const result = store.db.pragma('quick_check', { simple: true }) as string;
  const applied = store.db.prepare('SELECT count(*) FROM schema_migrations').pluck().get() as number;
  const totals = store.bans.totals();
  return [
    result === 'ok'
      ? ok('store', `${store.path}: integrity ok, ${totals.addresses} addresses, ${totals.events} events`)
      : { status: 'FAIL', check: 'store', detail: `${store.path}: ${result}`, fix: 'stop stickyban, copy the store aside, and rebuild it: stickyban export --format plain | stickyban import - --format plain' },
    ok('migrations', `${applied} applied, the schema is current`),
  ];
}

/** The backend's own checks, and whether the live entry counts match the plan. */
export function checkLive(inspection: Inspection, plan: Plan): Finding[] {
  const findings: Finding[] = inspection.checks.map((check): Finding => {
    if (!check.ok) return { status: 'FAIL', check: check.what, detail: check.problem ?? 'not in place', fix: check.fix ?? 'stickyban restore' };
    if (check.warning !== undefined) return { status: 'WARN', check: check.what, detail: check.warning, fix: 'stickyban restore once the chain exists' };
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
        : { status: 'WARN', check: label, detail: `${live} live, but the store plans ${planned}`, fix: 'stickyban restore' },
    );
  }
  return findings;
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
    fix: 'stickyban restore removes it',
  }));
}

/** Bans the hook spooled that no command has folded in yet, and spooled lines set aside as not valid. */
export function checkSpool(dbPath: string): Finding[] {
  const { waiting, quarantined } = spoolLineCounts(dbPath);
  const findings: Finding[] = [
    waiting === 0
      ? ok('spool', 'no ban waits in the spool')
      : { status: 'WARN', check: 'spool', detail: `${waiting} spooled line(s) wait in ${spoolPath(dbPath)} to be folded into the store`, fix: 'any command that writes folds them in: stickyban restore' },
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
  return ok('last restore', `${formatTime(last.started_at)} by ${last.trigger} (${last.backend}), ${last.entries4 + last.entries6} entries in ${(last.duration_ms / 1000).toFixed(2)} s`);
}

/** Our two fail2ban actions: the Python one (in-process, through the daemon) and the command one. */
export type Fail2banAction = 'stickyban.py' | 'stickyban';

/**
 * The action files, and the jails that use them (fail2ban does nothing with an action no jail
 * names). A jail on the command action pays a process per ban: the Python one is the fast path.
 */
export function checkFail2ban(config: Config): Finding[] {
  const dir = config.fail2ban.configDir;
  if (!existsSync(dir)) {
    return [{ status: 'WARN', check: 'fail2ban', detail: `${dir} not found: is fail2ban installed?`, fix: 'apt-get install fail2ban' }];
  }
  const files = ['stickyban.py', 'stickyban.conf'].map((name) => join(dir, 'action.d', name));
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    return [{ status: 'FAIL', check: 'fail2ban action', detail: `${missing.join(' and ')} missing`, fix: 'stickyban install-contrib' }];
  }
  const jailFiles = ['jail.conf', 'jail.local']
    .map((name) => join(dir, name))
    .concat(existsSync(join(dir, 'jail.d')) ? readdirSync(join(dir, 'jail.d')).filter((name) => /\.(conf|local)$/.test(name)).map((name) => join(dir, 'jail.d', name)) : []);
  const uses = (action: Fail2banAction) => jailFiles.filter((file) => existsSync(file) && actionsUsed(readFileSync(file, 'utf8')).has(action));
  const fast = uses('stickyban.py');
  const forking = uses('stickyban');
  const jails: Finding =
    fast.length > 0
      ? ok('fail2ban jails', `the stickyban.py action is used in ${fast.join(', ')}`)
      : forking.length > 0
        ? { status: 'WARN', check: 'fail2ban jails', detail: `${forking.join(', ')} use the command action (stickyban): one process per ban, which holds up the jail in a storm`, fix: 'name stickyban.py instead of stickyban there (see contrib/examples/jail.local)' }
        : { status: 'WARN', check: 'fail2ban jails', detail: 'no jail uses the stickyban action, so fail2ban bans are not recorded', fix: `add stickyban.py to ${join(dir, 'jail.local')} (see contrib/examples/jail.local)` };
  return [ok('fail2ban action', `${files.join(' and ')} installed`), jails];
}

/** Which of our actions an `action =` setting (or one of its continuation lines) names. */
export function actionsUsed(jailText: string): Set<Fail2banAction> {
  const used = new Set<Fail2banAction>();
  const note = (text: string) => {
    for (const match of text.matchAll(/(?:^|[\s,])(stickyban(?:\.py)?)(?=[\s[]|$)/g)) used.add(match[1] as Fail2banAction);
  };
  let inAction = false;
  for (const line of jailText.split('\n')) {
    if (/^\s*[#;]/.test(line)) continue;
    const setting = /^(\S[^=]*?)\s*=(.*)$/.exec(line);
    if (setting) {
      inAction = setting[1]!.trim() === 'action';
      if (inAction) note(setting[2]!);
    } else if (inAction && /^\s+\S/.test(line)) {
      note(line);
    } else if (!/^\s+/.test(line)) {
      inAction = false;
    }
  }
  return used;
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
