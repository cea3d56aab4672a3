import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../src/address/format.js';
import { V4, network4, type Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { historyPages, type EntryHistory } from '../../../src/export/history.js';
import { planFamily } from '../../../src/plan/plan.js';
import { entriesSource, type FamilyPlanSource } from '../../../src/plan/stream.js';
import type { BlockSummary } from '../../../src/store/bans.js';

const cidr = (text: string): Cidr<number> => parseNetwork(text) as Cidr<number>;

function block(text: string, events: number, offences: number, jails: string, first: number, last: number): BlockSummary {
  return { network: parseNetwork(text), address: text, events, offences, jails, first_banned: first, last_banned: last, qualifies: 1, until: null };
}

function histories(entries: readonly Cidr<number>[], blocks: BlockSummary[], source: FamilyPlanSource<number> = entriesSource(entries)): EntryHistory[] {
  return [...historyPages(4, source, blocks)].flat();
}

/** The plain way: every block that meets the entry, looked for among all of them. */
function reference(entries: readonly Cidr<number>[], blocks: readonly BlockSummary[]): Array<[string, number, number, string[], number, number]> {
  return entries.map((entry) => {
    const meeting = blocks.filter((block) => block.network.first <= entry.last && block.network.last >= entry.first);
    return [
      formatCidr(4, entry),
      meeting.reduce((sum, block) => sum + block.events, 0),
      meeting.reduce((sum, block) => sum + block.offences, 0),
      [...new Set(meeting.flatMap((block) => block.jails.split(',')))].sort(),
      Math.min(...meeting.map((block) => block.first_banned)),
      Math.max(...meeting.map((block) => block.last_banned)),
    ];
  });
}

describe('export history', () => {
  test('each entry sums the blocks that meet it: a split block gives its history to every piece', () => {
    const entries = ['10.0.0.0/25', '10.0.0.128/26', '192.0.2.7'].map(cidr);
    const blocks = [
      block('10.0.0.0/24', 1, 1, 'manual', 100, 100),
      block('10.0.0.9', 3, 2, 'sshd,recidive', 50, 300),
      block('10.0.0.200', 1, 1, 'sshd', 400, 400), // inside the /24, in a part the safelist removed: meets no entry
      block('192.0.2.7', 2, 1, 'nginx-http-auth', 10, 20),
    ];
    const rows = histories(entries, blocks);
    assert.deepEqual(rows.map((row) => [row.address, row.events, row.bans, row.jails, row.first_banned, row.last_banned]), [
      ['10.0.0.0/25', 4, 3, ['manual', 'recidive', 'sshd'], '1970-01-01T00:00:50Z', '1970-01-01T00:05:00Z'],
      ['10.0.0.128/26', 1, 1, ['manual'], '1970-01-01T00:01:40Z', '1970-01-01T00:01:40Z'],
      ['192.0.2.7', 2, 1, ['nginx-http-auth'], '1970-01-01T00:00:10Z', '1970-01-01T00:00:20Z'],
    ]);
  });

  test('read along in one walk, the histories are those of every block that meets each entry (random nested blocks, cut by a safelist)', () => {
    let state = 7;
    const random = (n: number) => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      // Blocks of /20 to /32 in 10.0.0.0/16, so that they nest often.
      const inside = (prefix: number) => network4(V4.blockFirst(0x0a000000 + random(65536), prefix), prefix);
      const networks = Array.from({ length: 1 + random(60) }, () => inside(20 + random(13)));
      const distinct = [...new Map(networks.map((network) => [`${network.first}/${network.prefix}`, network])).values()].sort((a, b) => a.first - b.first || a.last - b.last);
      const blocks = distinct.map((network, i) => ({ ...block(formatCidr(4, network), 1 + random(3), random(3), ['sshd', 'nginx', 'recidive'][i % 3]!, random(1000), 1000 + random(1000)), network }));
      const safelist = Array.from({ length: random(4) }, () => inside(22 + random(11)));
      const entries = planFamily(V4, distinct, safelist).entries;
      // Pages of a few entries each, the last entry only after the last page, as the store's
      // planner hands them (it holds back the last block it read).
      const pagedSource: FamilyPlanSource<number> = {
        *pages(sink) {
          for (let i = 0; i < entries.length - 1; i += 3) {
            for (const entry of entries.slice(i, Math.min(i + 3, entries.length - 1))) sink.entry(entry);
            yield;
          }
          if (entries.length > 0) sink.entry(entries[entries.length - 1]!);
        },
      };
      const rows = histories(entries, blocks, pagedSource);
      const expected = reference(entries, blocks).map(([address, events, bans, jails, first, last]) => [address, events, bans, jails, new Date(first * 1000).toISOString().replace('.000Z', 'Z'), new Date(last * 1000).toISOString().replace('.000Z', 'Z')]);
      assert.deepEqual(rows.map((row) => [row.address, row.events, row.bans, row.jails, row.first_banned, row.last_banned]), expected, `trial ${trial}`);
    }
  });
});
