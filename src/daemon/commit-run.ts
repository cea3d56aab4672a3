// Which commits the live queue has seen (pure): the daemon settles a batch of live changes only
// when something it did not queue was committed after the batch's own commits (see LiveQueue).

import type { ChangeMark } from '../store/store.js';

export class CommitRun {
  /** The newest mark noted. */
  private newest: ChangeMark | undefined;
  /** The first of the unbroken run of commits up to `newest` that were all noted here. */
  private from: ChangeMark | undefined;

  /** A change queued, with the mark of the commit that made it (several changes may share one). */
  note(mark: ChangeMark | undefined): void {
    const { newest } = this;
    const follows = mark && newest && mark.others === newest.others && (mark.own === newest.own || mark.own === newest.own + 1);
    if (!follows) this.from = mark;
    this.newest = mark;
  }

  /**
   * Whether every commit since the earliest of `marks` was one noted here, with the store at `now`:
   * no other connection committed since, and this one only what was noted.
   */
  covers(marks: readonly (ChangeMark | undefined)[], now: ChangeMark): boolean {
    const { newest, from } = this;
    if (!newest || !from || now.others !== newest.others || now.own !== newest.own) return false;
    return marks.every((mark) => mark !== undefined && mark.others === from.others && mark.own >= from.own);
  }
}
