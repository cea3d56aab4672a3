import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indentedElement, jsonArray, lineElement } from '../../../src/commands/json-array.js';

const rows = Array.from({ length: 7 }, (_, i) => ({ address: `192.0.2.${i}`, family: 4, jails: i === 3 ? [] : ['sshd', 'recidive'].slice(0, 1 + (i % 2)) }));
/** The rows in pages of uneven size, an empty one among them. */
const pages = [rows.slice(0, 2), [], rows.slice(2, 3), rows.slice(3)];

test('written a page at a time, the array is the text JSON.stringify(rows, null, 2) writes', () => {
  assert.equal([...jsonArray(pages, indentedElement)].join(''), `${JSON.stringify(rows, null, 2)}\n`);
  assert.equal([...jsonArray([[], []], indentedElement)].join(''), `${JSON.stringify([], null, 2)}\n`);
});

test('or one element per line: valid JSON, and still greppable for a million entries', () => {
  const text = [...jsonArray(pages, lineElement)].join('');
  assert.deepEqual(JSON.parse(text), rows);
  assert.equal(text.split('\n').length, rows.length + 3);
  assert.equal([...jsonArray([], lineElement)].join(''), '[]\n');
});
