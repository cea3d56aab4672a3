// The prompted session's protocol against a stand-in tool (a shell loop that prompts, reads a line,
// and complains on stderr about some): answers per line in order, errors with the line they belong
// to, and a tool that dies or goes silent fails its batch instead of hanging.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PromptedTool } from '../../../src/exec/prompted.js';

const TOOL = `
while printf 'tool> '; read -r line; do
  case "$line" in
    bad*) echo "error: $line" >&2 ;;
    exit*) exit 3 ;;
    sleep*) sleep 5 ;;
  esac
done`;

function tool(answerMs = 2000): PromptedTool {
  return new PromptedTool('sh', ['-c', TOOL], 'tool> ', answerMs);
}

describe('PromptedTool', () => {
  test('answers each line of a batch in order, an error with its own line; batches queue', async () => {
    const session = tool();
    try {
      const [first, second] = await Promise.all([session.send(['ok 1\n', 'bad 2\n', 'ok 3\n']), session.send(['bad 4\n'])]);
      assert.deepEqual(first, ['', 'error: bad 2\n', '']);
      assert.deepEqual(second, ['error: bad 4\n']);
      const many = Array.from({ length: 500 }, (_, i) => (i % 100 === 7 ? `bad ${i}\n` : `ok ${i}\n`));
      const answers = await session.send(many);
      assert.equal(answers.length, 500);
      assert.deepEqual(answers.flatMap((answer, i) => (answer === '' ? [] : [[i, answer]])), [7, 107, 207, 307, 407].map((i) => [i, `error: bad ${i}\n`]));
    } finally {
      session.stop();
    }
  });

  test('a tool that exits fails the batch under way and every later one, at once', async () => {
    const session = tool();
    await assert.rejects(session.send(['ok\n', 'exit\n', 'ok\n']), /sh session ended \(exit code 3\)/);
    await assert.rejects(session.send(['ok\n']), /sh session ended/);
    assert.ok(session.closed);
  });

  test('a tool that gives no answer in time is killed, and the batch fails', async () => {
    const session = tool(200);
    const started = Date.now();
    await assert.rejects(session.send(['sleep\n']), /sh session gave no answer in 200 ms/);
    assert.ok(Date.now() - started < 2000);
  });
});
