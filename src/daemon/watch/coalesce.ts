/**
 * Coalesces a burst of triggers into one call: `run` starts `quietMs` after the last trigger, but no
 * later than `maxWaitMs` after the first (an endless stream of changes must not postpone the repair
 * forever). Triggers while `run` runs lead to one more call after it.
 */
export function coalesce(run: () => Promise<unknown>, quietMs: number, maxWaitMs: number): { trigger(): void; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let firstAt: number | undefined;
  let running = false;
  let again = false;
  const fire = () => {
    timer = undefined;
    firstAt = undefined;
    running = true;
    void run()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          trigger();
        }
      });
  };
  const trigger = () => {
    if (running) {
      again = true;
      return;
    }
    const now = Date.now();
    firstAt ??= now;
    clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(quietMs, firstAt + maxWaitMs - now)));
  };
  return {
    trigger,
    cancel: () => {
      clearTimeout(timer);
      timer = undefined;
      again = false;
    },
  };
}
