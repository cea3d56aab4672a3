// Starts the daemon's services in order, runs until the signal aborts, then stops them in reverse
// order: each gets a moment to finish what it holds (graceful), and past that the daemon goes on
// without it (forceful), so a stop is never held up by a busy store, a held lock or a slow tool.

export interface Service {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** How long one service may take to stop before the others are stopped without it. */
export const STOP_GRACE_MS = 3000;

export async function runServices(services: readonly Service[], signal: AbortSignal, log: (line: string) => void, graceMs = STOP_GRACE_MS): Promise<void> {
  const started: Service[] = [];
  try {
    for (const service of services) {
      if (signal.aborted) break;
      await service.start();
      started.push(service);
    }
    await aborted(signal);
  } finally {
    for (const service of started.reverse()) {
      try {
        if (!(await within(service.stop(), graceMs))) log(`${service.name} did not stop within ${graceMs} ms; going on without it`);
      } catch (error) {
        log(`${service.name} failed to stop: ${(error as Error).message}`);
      }
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Whether `work` settled within `ms` (a rejection is rethrown). */
async function within(work: Promise<void> | void, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.resolve(work).then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
