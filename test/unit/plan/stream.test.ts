import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../src/address/format.js';
import { V4, type Cidr, type Range } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { FamilyPlanner } from '../../../src/plan/plan.js';
import { firstPlanned, planAll, type FamilyPlanSource } from '../../../src/plan/stream.js';

const v4 = (text: string): Cidr<number> => parseNetwork(text) as Cidr<number>;

/** A source planning `pages` of blocks the way a store stream does, counting the pages it reads. */
function pagedSource(pages: string[][], safelist: string[] = []): FamilyPlanSource<number> & { read: number } {
  const source = {
    read: 0,
    *pages(sink: Parameters<FamilyPlanSource<number>['pages']>[0]) {
      const planner = new FamilyPlanner(V4, safelist.map(v4) as Range<number>[], sink, { banned: 0, dropped: 0, split: 0, planned: 0 });
      for (const page of pages) {
        source.read++;
        planner.take(page, v4);
        yield;
      }
      planner.end();
    },
  };
  return source;
}

const text = (cidr: Cidr<number> | undefined) => (cidr === undefined ? undefined : formatCidr(4, cidr));

describe('firstPlanned', () => {
  test('is undefined when nothing is planned', () => {
    assert.equal(firstPlanned(pagedSource([])), undefined);
    assert.equal(firstPlanned(pagedSource([['10.0.0.1']], ['10.0.0.0/8'])), undefined);
  });

  test('finds an entry only the end of the stream plans (the block held back)', () => {
    assert.equal(text(firstPlanned(pagedSource([['10.0.0.1']]))), '10.0.0.1');
  });

  test('skips a first block the safelist drops', () => {
    assert.equal(text(firstPlanned(pagedSource([['10.0.0.1', '10.0.0.2'], ['10.0.0.3']], ['10.0.0.1']))), '10.0.0.2');
  });

  test('reads no page past the one that planned it', () => {
    const source = pagedSource([['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3'], ['10.0.0.4']]);
    // 10.0.0.1 is planned once the second page shows that nothing nested in it follows.
    assert.equal(text(firstPlanned(source)), '10.0.0.1');
    assert.equal(source.read, 2);
  });
});

describe('planAll', () => {
  test('plans every page and the block held back', () => {
    const entries: string[] = [];
    const source = pagedSource([['10.0.0.0/24', '10.0.0.9'], ['10.0.0.77', '10.0.1.1'], ['10.0.2.0/24']]);
    planAll(source, { entry: (cidr) => void entries.push(formatCidr(4, cidr)) });
    assert.deepEqual(entries, ['10.0.0.0/24', '10.0.1.1', '10.0.2.0/24']);
    assert.equal(source.read, 3);
  });
});
