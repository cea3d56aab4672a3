import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prunedAddresses } from '../../../src/daemon/daemon.js';

test("the daemon reads how many addresses a prune removed from its line: one, many, none; nothing from another line", () => {
  assert.equal(prunedAddresses('pruned 1 address (1 event) banned before 2026-06-01; up to 1 live entry removed\n'), 1);
  assert.equal(prunedAddresses('pruned 3 addresses (7 events) banned before 2026-06-01; up to 3 live entries removed\n'), 3);
  assert.equal(prunedAddresses('nothing to prune: no address banned before 2026-06-01\n'), 0);
  assert.equal(prunedAddresses('the retention is "never": nothing to prune (pass --older-than to prune anyway)\n'), undefined);
  assert.equal(prunedAddresses(''), undefined);
});
