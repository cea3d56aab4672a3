import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shownPath } from '../../../src/input/quote.js';

test('a path in a message: whole when short, its two ends when long, never a second line', () => {
  assert.equal(shownPath('/var/lib/stickyban/stickyban.db'), '/var/lib/stickyban/stickyban.db');
  const long = `/srv/${'a'.repeat(120_000)}/stickyban.db`;
  const shown = shownPath(long);
  assert.ok(shown.length < 300, `${shown.length} characters`);
  assert.ok(shown.startsWith('/srv/aaa'));
  assert.match(shown, /…a+\/stickyban\.db \(120018 characters\)$/);
  assert.equal(shownPath('/tmp/x\ny\u202e.db'), '/tmp/x\\u000ay\\u202e.db');
});
