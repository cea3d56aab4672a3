import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPruneJson } from '../../../src/actions/prune.js';

test("the daemon reads a prune's outcome from its JSON, and nothing from what is not that object", () => {
  const pruned = { summary: 'pruned 3 addresses (7 events) last banned before 2026-06-01; up to 3 live entries removed', pruned: 3, events: 7, dry_run: false, live_removed: 3, kept_safelisted: 0 };
  assert.deepEqual(readPruneJson(`${JSON.stringify(pruned)}\n`), pruned);
  const never = { summary: 'the retention is "never": nothing to prune', pruned: 0, events: 0, dry_run: false, live_removed: null, kept_safelisted: 0 };
  assert.deepEqual(readPruneJson(JSON.stringify(never)), never);
  for (const bad of ['', 'pruned 3 addresses', 'null', '[]', JSON.stringify({ ...pruned, pruned: -1 }), JSON.stringify({ ...pruned, pruned: 1.5 }), JSON.stringify({ ...pruned, summary: 3 }), JSON.stringify({ ...pruned, live_removed: '3' }), JSON.stringify({ ...pruned, dry_run: 0 })]) {
    assert.equal(readPruneJson(bad), undefined, bad);
  }
});
