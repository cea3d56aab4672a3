// bench/fail2ban: what stickyban costs fail2ban. One private fail2ban-server (Debian's package, its
// own config dir and socket) in a network namespace, with jails that differ only in their actions:
// `plain` has fail2ban's own iptables action alone; `sticky` has stickyban.py first (through the
// daemon), then the same iptables action; `forking` has the command action (a `stickyban ban`
// process per ban, as before the daemon) first. A storm is one `fail2ban-client set JAIL banip …`
// of distinct addresses, which fail2ban answers once every action has run for every address (one
// after another, in the jail's thread); a restart is `fail2ban-client restart JAIL` with N active
// bans, timed until fail2ban's own rules are all back (ours run first, so by then ours are done).
// Goal: sticky ≤ 1.3 × plain for each; 10k replays add ≤ 10 s to a restart.
//
// Each case runs in the order plain, sticky, sticky, plain and each side is the mean of its two
// runs: fail2ban slows down as it holds more bans (its database, its chains), so whichever jail
// went second paid for the first (plain then sticky, 2,000 bans: 12.1 s then 17.1 s; sticky then
// plain: 15.1 s then 14.0 s). The two storms of a side use two jails of their own.
// Then the daemon's memory and CPU at rest.
//
// BENCH_F2B_STORMS and BENCH_F2B_RESTARTS (comma-separated sizes) choose the cases.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, printTable } from './lib.js';

const sizes = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const storms = sizes('BENCH_F2B_STORMS', '300,5000');
const restarts = sizes('BENCH_F2B_RESTARTS', '300,10000');
/** The forking action costs a process per ban: measured at the smallest storm only, for reference. */
const forkingAt = Math.min(...storms);
/** The order of one case's runs, each side the mean of its two (see above). */
const ABBA = ['plain', 'sticky', 'sticky', 'plain'] as const;
const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-f2b-'));
const netns = new BenchNetns();
const db = join(dir, 'stickyban.db');
const socket = join(dir, 'run', 'stickyban.sock');
const config = join(dir, 'config.toml');
writeFileSync(config, `db = "${db}"\n[daemon]\nsocket = "${socket}"\n`);
// The benchmark's own daemon and commands, not a host's.
delete process.env.STICKYBAN_SOCKET;
delete process.env.STICKYBAN_DB;
delete process.env.STICKYBAN_CONFIG;

/** A host's /usr/local/bin/stickyban for the command action: the CLI with this store. */
const command = join(dir, 'stickyban');
writeFileSync(command, `#!/bin/sh\nexec '${CLI}' --config '${config}' "$@"\n`, { mode: 0o755 });

let fail2banPid: number | undefined;
// Only init makes the store; the daemon refuses a missing one.
spawnSync('ip', ['netns', 'exec', netns.name, CLI, '--config', config, 'init', '--quiet']);
const daemon = spawn('ip', ['netns', 'exec', netns.name, CLI, '--config', config, 'daemon', '--heal-interval', '1h'], { stdio: ['ignore', 'ignore', 'pipe'] });
let daemonLog = '';
daemon.stderr!.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
process.on('exit', () => {
  daemon.kill('SIGTERM');
  if (fail2banPid !== undefined) spawnSync('kill', [String(fail2banPid)]);
  rmSync(dir, { recursive: true, force: true });
});

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function until(what: string, probe: () => boolean, timeoutMs = 600_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`bench/fail2ban: timed out waiting for ${what}\n${daemonLog}`);
    await sleep(everyMs);
  }
}

function client(...args: string[]): string {
  const result = spawnSync('ip', ['netns', 'exec', netns.name, 'fail2ban-client', '-c', join(dir, 'fail2ban'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`fail2ban-client ${args.slice(0, 3).join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Rules in a jail's iptables chain: one per banned address. */
function rules(jail: string): number {
  const listing = spawnSync('ip', ['netns', 'exec', netns.name, 'iptables', '-S', `f2b-${jail}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return listing.stdout.split('\n').filter((line) => line.startsWith(`-A f2b-${jail} -s `)).length;
}

/** n distinct addresses of one block of 10.0.0.0/8 per case, so no two cases share one. */
function addresses(block: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${block}.${(i >> 8) & 255}.${i & 255}`);
}

function jail(name: string, actions: string[], log: string): string {
  return [`[${name}]`, 'enabled = true', 'filter = sshd', 'port = ssh', `logpath = ${log}`, 'bantime = 1d', `action = ${actions.join('\n         ')}`, ''].join('\n');
}

function startFail2ban(names: readonly string[]): void {
  const confdir = join(dir, 'fail2ban');
  cpSync('/etc/fail2ban', confdir, { recursive: true });
  for (const action of ['stickyban.py', 'stickyban.conf']) cpSync(resolve('contrib/fail2ban/action.d', action), join(confdir, 'action.d', action));
  writeFileSync(join(confdir, 'fail2ban.local'), `[Definition]\nloglevel = NOTICE\nlogtarget = ${dir}/fail2ban.log\nsocket = ${dir}/fail2ban.sock\npidfile = ${dir}/fail2ban.pid\ndbfile = ${dir}/fail2ban.sqlite3\n`);
  writeFileSync(join(confdir, 'jail.d', 'defaults-debian.conf'), '');
  const log = join(dir, 'empty.log');
  writeFileSync(log, '');
  const sticky = `stickyban.py[stickyban="${command}", config="${config}"]`;
  const forking = `stickyban[stickyban="${command}"]`;
  const jails = names.map((name) => {
    if (name.includes('plain')) return jail(name, ['%(action_)s'], log);
    if (name.includes('forking')) return jail(name, [forking, '%(action_)s'], log);
    return jail(name, [sticky, '%(action_)s'], log);
  });
  writeFileSync(join(confdir, 'jail.local'), ['[DEFAULT]', 'usedns = no', 'backend = polling', 'banaction = iptables-allports', '', ...jails].join('\n'));
  client('-x', 'start');
  fail2banPid = Number(readFileSync(join(dir, 'fail2ban.pid'), 'utf8'));
}

/** Wall time of one storm of `n` distinct addresses on a jail, in seconds. */
function stormSeconds(name: string, block: number, n: number): number {
  const banned = addresses(block, n);
  const started = process.hrtime.bigint();
  client('set', name, 'banip', ...banned);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Wall time of a restart of a jail holding `n` bans, until its rules are all back, in seconds. */
async function restartSeconds(name: string, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  client('restart', name);
  await until(`${name} to restore its ${n} bans`, () => rules(name) === n, 1_200_000, 100);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function daemonHealth(): { bans: number; received: number; pid: number } {
  const script = `const c=require('net').createConnection(process.argv[1]);c.on('connect',()=>c.write('{"op":"health"}\\n'));c.on('data',(d)=>{process.stdout.write(d);c.end()})`;
  return JSON.parse(spawnSync(process.execPath, ['-e', script, socket], { encoding: 'utf8' }).stdout) as { bans: number; received: number; pid: number };
}

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function main(): Promise<void> {
  spawnSync('ip', ['netns', 'exec', netns.name, CLI, '--config', config, 'restore', '--quiet']);
  await until('the daemon to listen', () => existsSync(socket) && daemonLog.includes('daemon: started'), 30_000);
  const names = [
    ...storms.flatMap((n) => [...ABBA.map((side, run) => `${side}${n}${'ab'[run >> 1]}`), ...(n === forkingAt ? [`forking${n}`] : [])]),
    ...restarts.flatMap((n) => [`rplain${n}`, `rsticky${n}`]),
  ];
  startFail2ban(names);
  console.log(`bench/fail2ban: fail2ban ${client('version').trim()} in a network namespace, iptables-allports as its own action${ENVIRONMENT_NOTE}`);

  let block = 1;
  const stormRows: Array<Array<string | number>> = [];
  for (const n of storms) {
    const runs = { plain: [] as number[], sticky: [] as number[] };
    ABBA.forEach((side, run) => runs[side].push(stormSeconds(`${side}${n}${'ab'[run >> 1]}`, block++, n)));
    const [plain, sticky] = [mean(runs.plain), mean(runs.sticky)];
    console.log(`storm of ${n}: plain ${runs.plain.map((s) => s.toFixed(2)).join(' + ')}, sticky ${runs.sticky.map((s) => s.toFixed(2)).join(' + ')} s`);
    const forking = n === forkingAt ? stormSeconds(`forking${n}`, block++, n) : undefined;
    stormRows.push([`storm of ${n} bans`, plain, sticky, sticky / plain, forking === undefined ? '-' : `${forking.toFixed(1)} s (${(forking / plain).toFixed(1)}x)`]);
  }
  printTable(['case', 'plain s', 'stickyban.py s', 'ratio', 'command action'], stormRows);

  const restartRows: Array<Array<string | number>> = [];
  for (const n of restarts) {
    client('set', `rplain${n}`, 'banip', ...addresses(block, n));
    client('set', `rsticky${n}`, 'banip', ...addresses(block + 1, n));
    block += 2;
    const before = daemonHealth().received;
    const runs = { plain: [] as number[], sticky: [] as number[] };
    for (const side of ABBA) runs[side].push(await restartSeconds(`r${side}${n}`, n));
    const [plain, sticky] = [mean(runs.plain), mean(runs.sticky)];
    console.log(`restart with ${n}: plain ${runs.plain.map((s) => s.toFixed(2)).join(' + ')}, sticky ${runs.sticky.map((s) => s.toFixed(2)).join(' + ')} s`);
    const replays = (daemonHealth().received - before) / 2;
    restartRows.push([`restart with ${n} active bans`, plain, sticky, sticky / plain, sticky - plain, replays]);
  }
  printTable(['case', 'plain s', 'stickyban.py s', 'ratio', 'added s', 'replays answered (a restart)'], restartRows);
  const worst = Math.max(...[...stormRows, ...restartRows].map((row) => Number(row[3])));
  console.log(`worst ratio: ${worst.toFixed(2)}x (goal <= 1.3x): ${worst <= 1.3 ? 'met' : 'NOT met'}`);

  // The daemon at rest: no bans for a minute.
  const { pid } = daemonHealth();
  const ticks = cpuTicks(pid);
  const rest = Number(process.env.BENCH_F2B_REST_SECONDS ?? 60);
  await sleep(rest * 1000);
  const cpuMs = ((cpuTicks(pid) - ticks) * 1000) / 100;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  console.log(`daemon at rest (${rest} s, ${daemonHealth().received} bans taken so far): ${Math.round(Number(rss) / 1024)} MiB resident, ${cpuMs.toFixed(0)} ms CPU (${((cpuMs / (rest * 1000)) * 100).toFixed(2)}% of one core)`);
}

// The daemon child would keep the process alive; the exit handlers stop it and clean up.
await main();
process.exit(0);
