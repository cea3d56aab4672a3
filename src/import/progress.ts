// A one-line progress bar on stderr for long imports. Only a terminal gets it (a pipe or a log file
// would fill with carriage returns), and only once the input has proved long, so short imports
// print nothing but their summary.

export const PROGRESS_AFTER_LINES = 50_000;
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export interface ProgressState {
  readonly name: string;
  readonly lines: number;
  /** How far the input is read (bytes of a file, rows of a database) and its size when known. */
  readonly position: number;
  readonly total: number | undefined;
  readonly elapsedMs: number;
}

export function renderProgress(state: ProgressState): string {
  const rate = state.elapsedMs > 0 ? Math.round((state.lines * 1000) / state.elapsedMs) : 0;
  const counts = `${state.lines.toLocaleString('en-US')} lines, ${rate.toLocaleString('en-US')} lines/s`;
  if (!state.total) return `importing ${state.name}: ${counts}`;
  return `importing ${state.name} ${bar(state.position / state.total)} ${counts}`;
}

/** Writing: the events of a window, sorted, go to the store after it is read (see importer.ts). */
export function renderWriting(name: string, written: number, total: number): string {
  return `importing ${name}: writing ${bar(total > 0 ? written / total : 1)} ${written.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} bans`;
}

/** "[######..................] 25%" */
function bar(fraction: number): string {
  const done = Math.min(1, fraction);
  const filled = Math.round(done * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(done * 100)}%`;
}

export interface Progress {
  update(lines: number): void;
  writing(written: number, total: number): void;
  done(): void;
}

export const NO_PROGRESS: Progress = { update: () => undefined, writing: () => undefined, done: () => undefined };

export class ProgressBar implements Progress {
  private readonly started: number;
  private lastDraw = 0;
  private shown = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly name: string,
    private readonly position: () => number,
    private readonly total: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  update(lines: number): void {
    if (lines < PROGRESS_AFTER_LINES) return;
    const now = this.now();
    this.draw(now, () => renderProgress({ name: this.name, lines, position: this.position(), total: this.total, elapsedMs: now - this.started }));
  }

  writing(written: number, total: number): void {
    if (total < PROGRESS_AFTER_LINES) return;
    this.draw(this.now(), () => renderWriting(this.name, written, total));
  }

  private draw(now: number, text: () => string): void {
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.shown = true;
    this.write(`\r${text()}\u001b[K`);
  }

  /** Clears the line, so the summary starts on a clean one. */
  done(): void {
    if (this.shown) this.write('\r\u001b[K');
    this.shown = false;
  }
}
