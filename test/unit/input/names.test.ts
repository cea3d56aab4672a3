import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cleanNote, parseJail, parseNote, parseSource } from '../../../src/input/names.js';

describe('names and free text', () => {
  test('a jail name: letters, digits and - _ . @ + :, starting with a letter or digit, at most 64', () => {
    for (const good of ['sshd', 'nginx-http-auth', 'recidive', 'postfix@.service', 'web:8080', 'a'.repeat(64)]) assert.equal(parseJail(good), good);
    for (const bad of ['', 'bad jail', '-sshd', 'a'.repeat(65), 'jail;rm', 'a,b', ':sshd']) assert.throws(() => parseJail(bad), /invalid jail name/, bad);
  });

  test("a source takes no ':': fleet:<host> is the fleet's alone", () => {
    assert.equal(parseSource('fail2ban'), 'fail2ban');
    assert.throws(() => parseSource('fleet:host-a'), /invalid source "fleet:host-a"/);
  });

  test('a note is one line of printable text: no C0 or C1 controls, no line separators, no bidi overrides', () => {
    assert.equal(parseNote('  office VPN  ', 'note'), 'office VPN');
    assert.equal(parseNote('café — über', 'note'), 'café — über');
    for (const bad of ['a\nb', 'a\tb', 'a\u007fb', 'a\u009bb', 'a\u2028b', 'admin\u202e"nimda', 'x\u2066y', 'a\u200eb', 'a\u200fb', 'a\u061cb', 'a\ufeffb']) {
      assert.throws(() => parseNote(bad, 'note'), /invalid note .*: expected one line of text without control characters/, JSON.stringify(bad));
    }
    assert.throws(() => parseNote('x'.repeat(201), 'note'), /at most 200 characters/);
  });

  test('text from a file is cleaned instead: controls blanked, trimmed, cut to 200', () => {
    assert.equal(cleanNote('\twp \u202eflood\u009b\n'), 'wp  flood');
    assert.equal(cleanNote('y'.repeat(300)).length, 200);
  });
});
