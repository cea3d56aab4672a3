// A throwaway network namespace per test: its own ipsets, iptables and nftables, so tests never
// touch the host's firewall. Requires root (CAP_NET_ADMIN); without it the test fails loudly.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { CLI, runCli, runProcess, sh, type CliOptions, type CliResult } from './cli.js';

export function requireRoot(): void {
  assert.equal(process.getuid?.(), 0, 'this test needs root (network namespaces, ipset, iptables); run the suite as root');
}

export async function requireTools(...tools: string[]): Promise<void> {
  for (const tool of tools) {
    const found = await runProcess('sh', ['-c', 'command -v "$1"', 'sh', tool]);
    assert.equal(found.code, 0, `this test needs ${tool}; run scripts/test.sh, which installs what the tests need`);
  }
}

/** The checkout the CLI under test belongs to. */
const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));

export class Netns {
  private constructor(readonly name: string) {}

  /** Creates a namespace with loopback up; it is deleted when the test file ends. */
  static async create(): Promise<Netns> {
    requireRoot();
    const name = `sbt-${randomBytes(4).toString('hex')}`;
    await sh('ip', ['netns', 'add', name]);
    const netns = new Netns(name);
    after(() => netns.destroy());
    await netns.exec('ip', ['link', 'set', 'lo', 'up']);
    return netns;
  }

  /** Runs a tool inside the namespace; throws with its stderr if it fails. */
  exec(file: string, args: readonly string[], options: { input?: string } = {}): Promise<string> {
    return sh('ip', ['netns', 'exec', this.name, file, ...args], options);
  }

  /** Runs a tool inside the namespace and returns its exit code and output. */
  try(file: string, args: readonly string[]): Promise<CliResult> {
    return runProcess('ip', ['netns', 'exec', this.name, file, ...args]);
  }

  /** Runs the stickyban CLI inside the namespace. */
  cli(args: readonly string[], options: Omit<CliOptions, 'netns'> = {}): Promise<CliResult> {
    return runCli(args, { ...options, netns: this.name });
  }

  /**
   * Runs the stickyban CLI inside the namespace as nobody: what a command says when it is not root.
   * A clone may sit in a folder only root may enter (`mktemp -d`), so the command runs in a mount
   * namespace of its own where the checkout is bound onto a folder anyone may enter; the host's
   * mounts are not touched.
   */
  async cliAsNobody(args: readonly string[]): Promise<CliResult> {
    const view = mkdtempSync(join(tmpdir(), 'stickyban-view-'));
    try {
      chmodSync(view, 0o755);
      const cli = join(view, relative(CHECKOUT, CLI));
      const bind = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
      return await this.try('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', bind, 'sh', CHECKOUT, view, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, ...args]);
    } finally {
      // rmdir, never a recursive removal: the folder is empty outside the command's own namespace.
      rmdirSync(view);
    }
  }

  /**
   * Gives the namespace an address of its own on a veth pair that is up (Node lists the addresses
   * of interfaces that are up and running only).
   */
  async addHostAddress(cidr: string, name = 'sbhost'): Promise<void> {
    await this.exec('ip', ['link', 'add', `${name}0`, 'type', 'veth', 'peer', 'name', `${name}1`]);
    await this.exec('ip', ['addr', 'add', cidr, 'dev', `${name}0`]);
    await this.exec('ip', ['link', 'set', `${name}0`, 'up']);
    await this.exec('ip', ['link', 'set', `${name}1`, 'up']);
  }

  async destroy(): Promise<void> {
    // Processes left in the namespace (a daemon, fail2ban) keep it busy; they are the test's to stop.
    await runProcess('ip', ['netns', 'delete', this.name]);
  }
}
