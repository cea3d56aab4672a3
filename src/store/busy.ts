// Waiting for a busy store, in two ways that share one rule: a command waits in place (its thread
// has nothing else to do), the daemon waits without blocking its loop (a socket client, a netlink
// event or a SIGTERM must never queue behind another process's transaction).

/**
 * However busy the store is, a waiter gives up after this long: fail2ban kills an action after 60 s
 * (its default timeout), and a killed hook cannot spool its ban.
 */
export const LONGEST_WAIT_MS = 45_000;

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * The waiting rule. `timeoutMs` bounds a wait in which nobody commits (a process holding the lock:
 * a stuck writer, a long transaction); while `progress` shows other processes committing, the
 * store is merely crowded (hundreds of hooks on a 2-core box hold the lock for milliseconds each,
 * but wait their turn for seconds), and the wait goes on up to `longestMs` or `timeoutMs`,
 * whichever is longer.
 */
export class BusyWait {
  private readonly limit: number;
  private deadline: number;
  // Sampled from the first busy attempt on: most attempts succeed at once and need no probe.
  private seen: unknown = NOT_SAMPLED;

  constructor(
    private readonly timeoutMs: number,
    private readonly progress?: () => unknown,
    longestMs = LONGEST_WAIT_MS,
  ) {
    const start = Date.now();
    this.limit = start + Math.max(timeoutMs, longestMs);
    this.deadline = start + timeoutMs;
  }

  /** After a failed attempt: how long to pause before the next one, or the error to give up with. */
  pauseAfter(error: unknown): number {
    if (!isBusy(error)) throw error;
    const now = Date.now();
    if (this.progress && now <= this.limit) {
      const current = sample(this.progress, this.seen);
      if (this.seen === NOT_SAMPLED) this.seen = current;
      else if (current !== this.seen) {
        this.seen = current;
        this.deadline = Math.min(this.limit, now + this.timeoutMs);
      }
    }
    if (now > this.deadline) throw error;
    return 1 + Math.random() * 4;
  }
}

/** Retries `attempt` while the store is busy, waiting in place (see BusyWait). */
export function retryWhileBusy<T>(attempt: () => T, timeoutMs: number, progress?: () => unknown, longestMs = LONGEST_WAIT_MS): T {
  const wait = new BusyWait(timeoutMs, progress, longestMs);
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      Atomics.wait(PAUSE, 0, 0, wait.pauseAfter(error));
    }
  }
}

/**
 * The same without blocking the thread: each attempt runs at once (SQLite's own busy handler must
 * then be off, see StoreOptions.busyWaitMs), and the pauses between them are timers. `signal`
 * ends the wait early (a daemon stopping), with its reason.
 */
export async function retryWhileBusyAsync<T>(attempt: () => T, timeoutMs: number, progress?: () => unknown, signal?: AbortSignal, longestMs = LONGEST_WAIT_MS): Promise<T> {
  const wait = new BusyWait(timeoutMs, progress, longestMs);
  for (;;) {
    signal?.throwIfAborted();
    try {
      return attempt();
    } catch (error) {
      await sleep(wait.pauseAfter(error), signal);
    }
  }
}

/** A timer that an abort ends at once, with the signal's reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const NOT_SAMPLED = Symbol('not sampled');
/** Atomics.wait on a value nobody changes: a sleep that blocks this thread only. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** A probe that is itself busy (a WAL recovery) just shows no progress. */
function sample(progress: () => unknown, fallback: unknown): unknown {
  try {
    return progress();
  } catch (error) {
    if (isBusy(error)) return fallback;
    throw error;
  }
}
