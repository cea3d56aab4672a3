import type { Family } from '../address/network.js';
import type { Plan } from '../plan/plan.js';

const EMPTY = { entries: [], banned: 0, dropped: 0, split: 0, planned: 0 };

/** The plan with the other family left empty (--family). */
export function onlyFamily(plan: Plan, family: Family | undefined): Plan {
  if (family === undefined) return plan;
  return family === 4 ? { v4: plan.v4, v6: EMPTY } : { v4: EMPTY, v6: plan.v6 };
}
