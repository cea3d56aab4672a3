// One canonical entry per line, IPv4 first, each family in address order: the format `import
// --format plain` reads, so an exported list imported into an empty store plans the same entries.

import { formatCidr } from '../address/format.js';
import type { Cidr, Family } from '../address/network.js';
import type { FamilyPlanSource, PlanSource } from '../plan/stream.js';

export function* plainList(plan: PlanSource): Generator<string> {
  yield* lines(4, plan.v4);
  yield* lines(6, plan.v6);
}

/** A chunk of lines for each step of the source (a page of the store), and one for what its end plans. */
function* lines<K extends number | bigint>(family: Family, source: FamilyPlanSource<K>): Generator<string> {
  let chunk = '';
  for (const _page of source.pages({ entry: (cidr) => void (chunk += `${formatCidr(family, cidr as Cidr<number> & Cidr<bigint>)}\n`) })) {
    if (chunk === '') continue;
    yield chunk;
    chunk = '';
  }
  if (chunk !== '') yield chunk;
}
