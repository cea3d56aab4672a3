// An `ipset restore` script that creates the configured sets exactly as `stickyban restore` does
// (same names, type and sizing) and fills them: for a host without stickyban, or a box that loads
// its firewall from saved files.

import type { Config } from '../config/config.js';
import { setScript } from '../firewall/ipset/script.js';
import type { PlanSource } from '../plan/stream.js';
import type { Family } from '../address/network.js';

/** Each source runs twice (see setScript). */
export function* ipsetRestoreScript(plan: PlanSource, settings: Config['ipset'], family: Family | undefined): Generator<string> {
  if (family !== 6) yield* setScript(4, settings.set4, plan.v4);
  if (family !== 4) yield* setScript(6, settings.set6, plan.v6);
}
