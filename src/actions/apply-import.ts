// After an import: bring the live set up to date if there is one. A host whose firewall is managed
// by stickyban gets the imported bans at once (a full restore: one atomic swap, however many were
// added); on a host where restore has not run yet, the import only records, and says how to load.
// An import that adds nothing checks the live set against the store all the same: the same import
// killed during its live update left what it recorded out of it.

import { restoreLive } from './restore.js';
import { describeProblems, findProblems } from './heal.js';
import { liveBackend, type Surroundings } from './live.js';
import type { Store } from '../store/store.js';

export type LiveOutcome =
  | { readonly state: 'applied'; readonly backend: string; readonly v4: number; readonly v6: number }
  /** Nothing was added, but the live set was out of line with the store (an import killed during its live update): restored. */
  | { readonly state: 'repaired'; readonly problems: string; readonly backend: string; readonly v4: number; readonly v6: number }
  /** The backend's live sets do not exist: restore has never run here. */
  | { readonly state: 'no-live-set' }
  /** --no-apply. */
  | { readonly state: 'skipped' }
  /** Nothing was added, and the live set is in line with the store. */
  | { readonly state: 'unchanged' }
  /** The live set could not be inspected (no root, tool missing); the import itself is done. */
  | { readonly state: 'unchecked'; readonly why: string };

export async function applyImport(store: Store, around: Surroundings, added: number, apply: boolean): Promise<LiveOutcome> {
  if (!apply) return { state: 'skipped' };
  let problems: string | undefined;
  try {
    const live = await liveBackend(store, around);
    if (added === 0) {
      // Nothing new, but an import of the same file killed during its live update left its bans
      // recorded and not live: run again, it finds them recorded, and the live set out of line.
      const found = (await findProblems(store, around.config, around.clock, live)).problems;
      if (found.length === 0) return { state: 'unchanged' };
      problems = describeProblems(found);
    }
    const { entries } = await live.inspect();
    if (entries.v4 === undefined && entries.v6 === undefined) return { state: problems === undefined ? 'no-live-set' : 'unchanged' };
  } catch (error) {
    return { state: 'unchecked', why: (error as Error).message };
  }
  // restoreLive takes the apply lock itself, and finds the live backend again under it (a restore
  // may switch backends meanwhile); the import's writes are already committed. No retirer: the
  // live backend is the last one restored, so no backend was used after it to be retired.
  const result = await restoreLive(store, around.config, around.clock, () => liveBackend(store, around), { trigger: 'import' });
  const loaded = { backend: result.backend, v4: result.report.v4, v6: result.report.v6 };
  return problems === undefined ? { state: 'applied', ...loaded } : { state: 'repaired', problems, ...loaded };
}
