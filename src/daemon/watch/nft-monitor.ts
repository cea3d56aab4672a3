// The firewall's change events: a long-lived `nft -j monitor destroy`, which sees what iptables-nft
// (Debian's default iptables), ufw and nft itself delete, the moment they delete it. Each relevant
// line (events.ts) is reported; when nft exits it is started again after a pause that grows. On
// iptables-legacy nothing is reported, and the daemon's periodic check is the only way.

import { spawn, type ChildProcess } from 'node:child_process';
import { isRelevant, type WatchTargets } from './events.js';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60_000;

export class NftMonitor {
  private child: ChildProcess | undefined;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly targets: () => WatchTargets,
    private readonly onChange: () => void,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.spawn();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.child?.kill('SIGTERM');
  }

  private spawn(): void {
    const child = spawn('nft', ['-j', 'monitor', 'destroy'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let pending = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      // A line longer than this is an element listing, never a deletion of ours.
      if (pending.length > 1 << 20) pending = '';
      const targets = this.targets();
      if (lines.some((line) => isRelevant(line, targets))) this.onChange();
      // Output means it runs: a later exit starts over with a short pause.
      this.retryMs = FIRST_RETRY_MS;
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') return;
      this.stopped = true;
      this.log('nft is not installed: firewall changes are seen by the periodic check only (apt-get install nftables)');
    });
    child.on('close', (code) => {
      if (this.stopped || this.child !== child) return;
      this.log(`nft monitor ended (${stderr.trim().split('\n')[0] || `exit code ${code}`}); watching again in ${this.retryMs / 1000} s`);
      this.retry = setTimeout(() => this.spawn(), this.retryMs);
      this.retryMs = Math.min(LAST_RETRY_MS, this.retryMs * 2);
    });
  }
}
