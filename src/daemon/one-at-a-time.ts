// Work the daemon runs one at a time, where asking during a run asks for one more after it, never
// more than one waiting: that run sees what changed meanwhile, and a burst of requests costs two
// runs, not one each. The heal's checks and the repairs after a failed live update are such work.

export class OneAtATime<T> {
  private running: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly work: () => Promise<T>) {}

  /** Runs now, or once the run under way is over (with every other request made meanwhile). */
  run(): Promise<T> {
    if (!this.running) return this.start();
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<T> {
    const run = this.work().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
