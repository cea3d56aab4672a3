// One canonical entry per line, IPv4 first, each family in address order: the format `import
// --format plain` reads, so an exported list imported into an empty store plans the same entries.

import { formatCidr } from '../address/format.js';
import type { Cidr, Family } from '../address/network.js';
import type { Plan } from '../plan/plan.js';

const LINES_PER_CHUNK = 4096;

export function* plainList(plan: Plan): Generator<string> {
  yield* lines(4, plan.v4.entries);
  yield* lines(6, plan.v6.entries);
}

function* lines<K extends number | bigint>(family: Family, entries: readonly Cidr<K>[]): Generator<string> {
  for (let i = 0; i < entries.length; i += LINES_PER_CHUNK) {
    let chunk = '';
    for (const cidr of entries.slice(i, i + LINES_PER_CHUNK)) chunk += `${formatCidr(family, cidr as Cidr<number> & Cidr<bigint>)}\n`;
    yield chunk;
  }
}
