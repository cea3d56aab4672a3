// How long the daemon's sync waits for more to gather: briefly when a ban comes alone (it is
// published within ~100 ms), five times longer while events flow, so that a storm makes fewer,
// larger batches instead of a round trip per commit on every host.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatherWait } from '../../../src/fleet/sync.js';

test('a lone ban waits 20 ms; while events flow (a sync moved some <250 ms ago) a sync waits 100 ms', () => {
  assert.equal(gatherWait(Number.POSITIVE_INFINITY), 20);
  assert.equal(gatherWait(5000), 20);
  assert.equal(gatherWait(250), 20);
  assert.equal(gatherWait(249), 100);
  assert.equal(gatherWait(0), 100);
});
