import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PROGRESS_AFTER_LINES, ProgressBar, renderProgress, renderWriting } from '../../../src/import/progress.js';

describe('progress', () => {
  test('renders a bar for a file and a counter for stdin', () => {
    assert.equal(
      renderProgress({ name: 'list.txt', lines: 250_000, position: 5_000_000, total: 10_000_000, elapsedMs: 1000 }),
      'importing list.txt [############............] 50% 250,000 lines, 250,000 lines/s',
    );
    assert.equal(renderProgress({ name: 'stdin', lines: 60_000, position: 1, total: undefined, elapsedMs: 500 }), 'importing stdin: 60,000 lines, 120,000 lines/s');
  });

  test('stays silent for short inputs, redraws at most every 100 ms, and clears its line', () => {
    const written: string[] = [];
    let now = 0;
    const bar = new ProgressBar((text) => written.push(text), 'x', () => 1, 2, () => now);
    bar.update(PROGRESS_AFTER_LINES - 1);
    bar.done();
    assert.deepEqual(written, [], 'nothing below the threshold, not even the clearing');
    now = 1000;
    bar.update(PROGRESS_AFTER_LINES);
    now = 1050;
    bar.update(PROGRESS_AFTER_LINES + 1);
    now = 1200;
    bar.update(PROGRESS_AFTER_LINES + 2);
    bar.done();
    assert.equal(written.length, 3);
    assert.match(written[0]!, /^\rimporting x \[#+\.*\] 50% 50,000 lines/);
    assert.equal(written[2], '\r\u001b[K');
  });

  test('then shows the writing of each window, as a bar of bans written, only for a long window', () => {
    assert.equal(renderWriting('list.txt', 250_000, 1_000_000), 'importing list.txt: writing [######..................] 25% 250,000 of 1,000,000 bans');
    const written: string[] = [];
    let now = 0;
    const bar = new ProgressBar((text) => written.push(text), 'x', () => 1, 2, () => now);
    bar.writing(PROGRESS_AFTER_LINES - 1, PROGRESS_AFTER_LINES - 1);
    assert.deepEqual(written, [], 'a short window is written without a bar');
    now = 1000;
    bar.writing(10_000, PROGRESS_AFTER_LINES);
    now = 1050;
    bar.writing(20_000, PROGRESS_AFTER_LINES);
    bar.done();
    assert.deepEqual(written, ['\rimporting x: writing [#####...................] 20% 10,000 of 50,000 bans\u001b[K', '\r\u001b[K']);
  });
});
