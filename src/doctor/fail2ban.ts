// Doctor's fail2ban checks: the action files, and the running fail2ban. A jail file that names the
// action says nothing of what fail2ban does (a disabled jail names it too), so the jails are asked
// of fail2ban itself, on its socket: whether it runs, which jails run, which of them use the action.

import { existsSync, readdirSync } from 'node:fs';
import { readBoundedText } from '../config/config-file.js';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Fail2banClient } from '../fail2ban/client.js';
import type { Finding } from './checks.js';
import { isJailName, JAIL_EXPECTED } from '../input/names.js';
import { quote } from '../input/quote.js';

/** Our two fail2ban actions: the Python one (in-process, through the daemon) and the command one. */
export type Fail2banAction = 'stickyban.py' | 'stickyban';

const ok = (check: string, detail: string): Finding => ({ status: 'OK', check, detail });

/** The sections of a jail file that are not jails. */
const NOT_JAILS = new Set(['DEFAULT', 'INCLUDES', 'Definition', 'Init']);

/**
 * The action files; fail2ban, asked whether it runs and which of its jails use the action; and the
 * jails that name the action in a jail file but do not run. When fail2ban does not answer, the jail
 * files are all there is to go by.
 */
export async function checkFail2ban(config: Config, client: Fail2banClient): Promise<Finding[]> {
  const dir = config.fail2ban.configDir;
  const why = await client.notRunning();
  if (!existsSync(dir) && why !== undefined) {
    return [{ status: 'WARN', check: 'fail2ban', detail: `${dir} not found and fail2ban is not running: is fail2ban installed?`, fix: 'apt-get install fail2ban' }];
  }
  const findings: Finding[] = [];
  const files = ['stickyban.py', 'stickyban.conf'].map((name) => join(dir, 'action.d', name));
  const missing = files.filter((file) => !existsSync(file));
  findings.push(
    missing.length > 0
      ? { status: 'FAIL', check: 'fail2ban action', detail: `${missing.join(' and ')} missing`, fix: 'stickyban install-contrib' }
      : ok('fail2ban action', `${files.join(' and ')} installed`),
  );
  const named = readJailFiles(dir, findings);
  if (why !== undefined) {
    findings.push({ status: 'FAIL', check: 'fail2ban', detail: `not running (${why}): no ban of fail2ban reaches stickyban`, fix: `systemctl start fail2ban (or set [fail2ban] socket to where it listens${config.file ? ` in ${config.file}` : ''})` });
    findings.push(jailsFromFiles(dir, named));
    return findings;
  }
  let running: string[];
  try {
    running = await client.jails();
  } catch (error) {
    return [...findings, { status: 'FAIL', check: 'fail2ban', detail: (error as Error).message, fix: 'see fail2ban.log' }];
  }
  findings.push(ok('fail2ban', `running on ${client.socket}, ${running.length === 1 ? '1 jail' : `${running.length} jails`}${running.length > 0 ? `: ${running.join(', ')}` : ''}`));
  const using: string[] = [];
  for (const jail of running) {
    try {
      if ((await client.actions(jail)).some(isOurs)) using.push(jail);
    } catch (error) {
      findings.push({ status: 'FAIL', check: `fail2ban jail ${jail}`, detail: (error as Error).message, fix: 'see fail2ban.log' });
    }
  }
  // A jail whose name stickyban refuses: the action hands over each of its bans, and each is refused.
  for (const jail of using.filter((name) => !isJailName(name))) {
    findings.push({ status: 'FAIL', check: `fail2ban jail ${quote(jail)}`, detail: `its name is not one stickyban takes (${JAIL_EXPECTED}): each of its bans is refused`, fix: 'give the jail another name in jail.local, then systemctl restart fail2ban' });
  }
  findings.push(
    using.length > 0
      ? ok('fail2ban jails', `the stickyban action runs in ${using.join(', ')}`)
      : { status: 'FAIL', check: 'fail2ban jails', detail: "no running jail uses the stickyban action: fail2ban's bans are not recorded", fix: `add stickyban.py to the action of your jails in ${join(dir, 'jail.local')} (see contrib/examples/jail.local), then systemctl restart fail2ban (a reload does not add an action to a jail that runs)` },
  );
  // A jail whose own section names the action, and that fail2ban does not run: its bans would be recorded, and none come.
  for (const { file, sections } of named) {
    for (const [jail, actions] of sections) {
      if (NOT_JAILS.has(jail) || actions.size === 0) continue;
      if (running.includes(jail)) {
        // Named since the jail started: fail2ban's reload keeps the actions a jail runs, and adds none to it.
        if (!using.includes(jail)) {
          findings.push({
            status: 'FAIL',
            check: `fail2ban jail ${jail}`,
            detail: `names the ${[...actions].join(' and ')} action in ${file} but runs without it: its bans are not recorded`,
            fix: 'systemctl restart fail2ban (a reload does not add an action to a jail that runs)',
          });
        }
        continue;
      }
      findings.push({
        status: 'FAIL',
        check: `fail2ban jail ${jail}`,
        detail: `names the ${[...actions].join(' and ')} action in ${file} but does not run (enabled = false?): its bans are not recorded`,
        fix: `set enabled = true in [${jail}] and run fail2ban-client reload, or take the action out of that section`,
      });
    }
  }
  const forking = named.filter(({ sections }) => [...sections.values()].some((actions) => actions.has('stickyban') && !actions.has('stickyban.py')));
  if (forking.length > 0) {
    findings.push({
      status: 'WARN',
      check: 'fail2ban command action',
      detail: `${forking.map(({ file }) => file).join(', ')} use the command action (stickyban): one process per ban, which holds up the jail in a storm`,
      fix: 'name stickyban.py instead of stickyban there (see contrib/examples/jail.local)',
    });
  }
  return findings;
}

/** fail2ban names a jail's action after its file, without .py, unless given an actname. */
function isOurs(action: string): boolean {
  return action === 'stickyban' || action === 'stickyban.py';
}

function jailFiles(dir: string): string[] {
  const inJailD = (pattern: RegExp) => (existsSync(join(dir, 'jail.d')) ? readdirSync(join(dir, 'jail.d')).filter((name) => pattern.test(name)).sort().map((name) => join(dir, 'jail.d', name)) : []);
  // fail2ban's own order: jail.conf, jail.d/*.conf, jail.local, jail.d/*.local.
  return [join(dir, 'jail.conf'), ...inJailD(/\.conf$/), join(dir, 'jail.local'), ...inJailD(/\.local$/)].filter((file) => existsSync(file));
}

/** What the jail files say, when fail2ban cannot be asked. The Python action is the fast path. */
function jailsFromFiles(dir: string, named: ReadonlyArray<{ file: string; sections: Map<string, Set<Fail2banAction>> }>): Finding {
  const uses = (action: Fail2banAction) => named.filter(({ sections }) => [...sections.values()].some((actions) => actions.has(action))).map(({ file }) => file);
  const fast = uses('stickyban.py');
  const forking = uses('stickyban');
  if (fast.length > 0) return ok('fail2ban jails', `the stickyban.py action is named in ${fast.join(', ')}`);
  if (forking.length > 0) {
    return { status: 'WARN', check: 'fail2ban jails', detail: `${forking.join(', ')} use the command action (stickyban): one process per ban, which holds up the jail in a storm`, fix: 'name stickyban.py instead of stickyban there (see contrib/examples/jail.local)' };
  }
  return { status: 'WARN', check: 'fail2ban jails', detail: 'no jail uses the stickyban action, so fail2ban bans are not recorded', fix: `add stickyban.py to ${join(dir, 'jail.local')} (see contrib/examples/jail.local)` };
}

/** Which of our actions an `action =` setting (or one of its continuation lines) names, in any section. */
export function actionsUsed(jailText: string): Set<Fail2banAction> {
  return new Set([...actionsBySection(jailText).values()].flatMap((actions) => [...actions]));
}

/** Per section of a jail file, which of our actions its `action =` setting names (an empty set: none). */
export function actionsBySection(jailText: string): Map<string, Set<Fail2banAction>> {
  const sections = new Map<string, Set<Fail2banAction>>();
  let current = sections.get('DEFAULT') ?? new Set<Fail2banAction>();
  sections.set('DEFAULT', current);
  const note = (text: string) => {
    for (const match of text.matchAll(/(?:^|[\s,])(stickyban(?:\.py)?)(?=[\s[]|$)/g)) current.add(match[1] as Fail2banAction);
  };
  let inAction = false;
  for (const line of jailText.split('\n')) {
    if (/^\s*[#;]/.test(line)) continue;
    const section = /^\[([^\]]+)\]\s*$/.exec(line);
    if (section) {
      current = sections.get(section[1]!) ?? new Set<Fail2banAction>();
      sections.set(section[1]!, current);
      inAction = false;
      continue;
    }
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
  return sections;
}

/** fail2ban's jail files are a few KiB; doctor reads what is there, bounded, and says what it could not. */
const JAIL_FILE_MAX_BYTES = 1024 * 1024;

/** The jail files' actions by section; one that cannot be read (a FIFO, a device, a directory) is a warning, not a hang. */
function readJailFiles(dir: string, findings: Finding[]): Array<{ file: string; sections: ReturnType<typeof actionsBySection> }> {
  let files: string[];
  try {
    files = jailFiles(dir);
  } catch (error) {
    findings.push({ status: 'WARN', check: 'fail2ban jail files', detail: `cannot list them in ${dir}: ${(error as Error).message}`, fix: `check ${join(dir, 'jail.d')}` });
    return [];
  }
  return files.flatMap((file) => {
    try {
      return [{ file, sections: actionsBySection(readBoundedText(file, 'fail2ban jail file', "fail2ban's settings", JAIL_FILE_MAX_BYTES)) }];
    } catch (error) {
      findings.push({ status: 'WARN', check: 'fail2ban jail files', detail: (error as Error).message, fix: `remove it, or make it a regular file` });
      return [];
    }
  });
}
