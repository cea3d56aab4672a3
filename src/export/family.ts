import type { Family } from '../address/network.js';
import { entriesSource, type PlanSource } from '../plan/stream.js';

/** The plan with the other family left empty (--family). */
export function onlyFamily(plan: PlanSource, family: Family | undefined): PlanSource {
  if (family === undefined) return plan;
  return family === 4 ? { v4: plan.v4, v6: entriesSource<bigint>([]) } : { v4: entriesSource<number>([]), v6: plan.v6 };
}
