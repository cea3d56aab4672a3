// Commands killed half way, for the tests of what they leave behind: a command run in a namespace
// and killed (-9) once something holds, and an `nft` that never answers a change, which holds a
// command between its commit and its live update.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliCommand, sh } from './cli.js';
import type { Netns } from './netns.js';
import { until } from './until.js';

/** Runs the CLI in the namespace and kills it (-9) once `when` holds; waits for what it started to end. */
export async function killedWhen(netns: Netns, args: readonly string[], env: NodeJS.ProcessEnv, what: string, when: () => Promise<unknown>): Promise<void> {
  const [file, argv] = cliCommand(args, netns.name);
  const child = spawn(file, argv, { stdio: 'ignore', env: { ...process.env, ...env } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await until(what, when, 30_000, 10);
  child.kill('SIGKILL');
  await exited;
  // An orphaned `ipset restore` reads to the end of its cut input and exits without its swap.
  await until('its ipset to exit', async () => ((await ipsetsRunning(netns)) ? undefined : true));
}

/** Whether an ipset process runs in the namespace (a daemon of the test may run there too). */
async function ipsetsRunning(netns: Netns): Promise<boolean> {
  const pids = (await sh('ip', ['netns', 'pids', netns.name])).split('\n').filter(Boolean);
  return pids.some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ipset';
    } catch {
      return false;
    }
  });
}

/**
 * A directory whose `nft` never answers a change (it sleeps), while listings go to the real one:
 * put first on a command's PATH, it holds the command between its commit and its live update.
 */
export function stuckNft(dir: string): NodeJS.ProcessEnv {
  const bin = join(dir, 'stuck-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nft'), `#!/bin/sh\ncase "$*" in *list*) exec ${realNft} "$@" ;; esac\nexec sleep 600\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

/**
 * A directory whose `nft` loads a batch file (`-f`) and then never exits (it sleeps): put first on
 * a command's PATH, it holds a restore between its load and its record.
 */
export function nftStuckAfterLoad(dir: string): NodeJS.ProcessEnv {
  const bin = join(dir, 'loaded-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nft'), `#!/bin/sh\ncase "$*" in *-f*) ${realNft} "$@" || exit $?; exec sleep 600 ;; esac\nexec ${realNft} "$@"\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

/** A directory whose `nft` takes its time before it loads a batch file (-f): a load that outlives a restore killed meanwhile. */
export function nftSlowLoad(dir: string, seconds: number): NodeJS.ProcessEnv {
  const bin = join(dir, 'slow-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nft'), `#!/bin/sh\ncase "$*" in *-f*) sleep ${seconds} ;; esac\nexec ${realNft} "$@"\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

/** A directory whose `nft` never answers a listing (it sleeps): a restore held before its first look at the table. */
export function nftStuckListing(dir: string): NodeJS.ProcessEnv {
  const bin = join(dir, 'listing-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nft'), `#!/bin/sh\ncase "$*" in *list*) exec sleep 600 ;; esac\nexec ${realNft} "$@"\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

const realNft = execFileSync('sh', ['-c', 'command -v nft']).toString().trim();

/** Kills what the namespace still runs (the sleeping nft of a command killed while it waited). */
export async function killLeftovers(netns: Netns): Promise<void> {
  for (const pid of (await sh('ip', ['netns', 'pids', netns.name])).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
}

/** Elements of the nftables backend's IPv4 address set. */
export async function nftHosts(netns: Netns): Promise<number> {
  const listing = JSON.parse(await netns.exec('nft', ['-j', 'list', 'set', 'inet', 'stickyban', 'v4_hosts'])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  return listing.nftables.find((item) => item.set)?.set?.elem?.length ?? 0;
}
