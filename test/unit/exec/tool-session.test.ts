// The session's protocol against stand-in tools (shell loops): a prompting one, which prompts before
// each line, and a quiet one, which prints only errors and answers a sentinel line with a known
// line. Answers come back per line or per batch in order, errors with what they belong to, and a
// tool that dies or goes silent fails its batch instead of hanging.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { promptFraming, ToolSession, type Framing } from '../../../src/exec/tool-session.js';

const PROMPTING = `
while printf 'tool> '; read -r line; do
  case "$line" in
    bad*) echo "error: $line" >&2 ;;
    exit*) exit 3 ;;
    sleep*) sleep 5 ;;
  esac
done`;

/** Quiet unless something fails; "sentinel" is answered with a fixed line, and failures are numbered by line as ip does. */
const QUIET = `
n=0
while read -r line; do
  n=$((n + 1))
  case "$line" in
    bad*) echo "error: $line" >&2; echo "failed at $n" >&2 ;;
    sentinel) echo "end of batch, line $n and more" ;;
    exit*) exit 3 ;;
  esac
done`;

const SENTINEL: Framing = { frame: () => ({ trailer: 'sentinel\n', marker: 'end of batch', answers: 1, wholeLine: true }) };

function prompting(answerMs = 2000): ToolSession {
  return new ToolSession('sh', ['-c', PROMPTING], promptFraming('tool> '), { answerMs });
}

describe('ToolSession', () => {
  test('a prompting tool: each line of a batch answered in order, an error with its own line; batches queue', async () => {
    const session = prompting();
    try {
      const [first, second] = (await Promise.all([session.send(['ok 1\n', 'bad 2\n', 'ok 3\n']), session.send(['bad 4\n'])])).map((reply) => reply.answers);
      assert.deepEqual(first, ['', 'error: bad 2\n', '']);
      assert.deepEqual(second, ['error: bad 4\n']);
      const many = Array.from({ length: 500 }, (_, i) => (i % 100 === 7 ? `bad ${i}\n` : `ok ${i}\n`));
      const { answers } = await session.send(many);
      assert.equal(answers.length, 500);
      assert.deepEqual(answers.flatMap((answer, i) => (answer === '' ? [] : [[i, answer]])), [7, 107, 207, 307, 407].map((i) => [i, `error: bad ${i}\n`]));
    } finally {
      session.stop();
    }
  });

  test('a quiet tool behind a sentinel: one answer a batch, all it printed before the sentinel\'s line, which is consumed whole', async () => {
    const session = new ToolSession('sh', ['-c', QUIET], SENTINEL);
    try {
      const replies = await Promise.all([session.send(['ok\n', 'bad a\n', 'ok\n', 'bad b\n']), session.send(['ok\n']), session.send(['bad c\n'])]);
      const [first, second, third] = replies.map((reply) => reply.answers);
      assert.deepEqual(replies.map((reply) => reply.first), [1, 6, 8]);
      assert.deepEqual(first, ['error: bad a\nfailed at 2\nerror: bad b\nfailed at 4\n']);
      assert.deepEqual(second, ['']);
      // Lines are counted over the session, sentinels included: 4 + 1, 1 + 1, then this one.
      assert.deepEqual(third, ['error: bad c\nfailed at 8\n']);
    } finally {
      session.stop();
    }
  });

  test('a frame is told where its batch starts in the session, so a tool that numbers lines can be read', async () => {
    const firsts: number[] = [];
    const framing: Framing = {
      frame: (first, count) => {
        firsts.push(first);
        return { trailer: 'sentinel\n', marker: `end of batch, line ${first + count} `, answers: 1, wholeLine: true };
      },
    };
    const session = new ToolSession('sh', ['-c', QUIET], framing);
    try {
      assert.deepEqual(await session.send(['ok\n', 'ok\n']), { answers: [''], first: 1 });
      assert.deepEqual(await session.send(['bad x\n']), { answers: ['error: bad x\nfailed at 4\n'], first: 4 });
      assert.deepEqual(firsts, [1, 4]);
    } finally {
      session.stop();
    }
  });

  test('a tool above its memory limit is let go after its batch and a new one answers the next, numbered from its own first line', async () => {
    // Any process is above one byte.
    const session = new ToolSession('sh', ['-c', QUIET], SENTINEL, { maxResidentBytes: 1 });
    try {
      const first = await session.send(['bad a\n']);
      assert.equal(session.pid, undefined, 'let go of after its batch');
      const second = await session.send(['ok\n', 'bad b\n']);
      assert.deepEqual([first, second], [{ answers: ['error: bad a\nfailed at 1\n'], first: 1 }, { answers: ['error: bad b\nfailed at 2\n'], first: 1 }]);
      assert.equal(session.closed, undefined, 'a process let go of does not end the session');
    } finally {
      session.stop();
    }
    const kept = new ToolSession('sh', ['-c', QUIET], SENTINEL, { maxResidentBytes: 1024 ** 3 });
    try {
      await kept.send(['ok\n']);
      const pid = kept.pid;
      await kept.send(['ok\n']);
      assert.ok(pid !== undefined && kept.pid === pid, 'below the limit, one process serves every batch');
    } finally {
      kept.stop();
    }
  });

  test('a tool that exits fails the batch under way and every later one, at once', async () => {
    const session = prompting();
    await assert.rejects(session.send(['ok\n', 'exit\n', 'ok\n']), /sh session ended \(exit code 3\)/);
    await assert.rejects(session.send(['ok\n']), /sh session ended/);
    assert.ok(session.closed);
    const quiet = new ToolSession('sh', ['-c', QUIET], SENTINEL);
    await assert.rejects(quiet.send(['exit\n']), /sh session ended \(exit code 3\)/);
  });

  test('a tool that gives no answer in time is killed, and the batch fails', async () => {
    const session = prompting(200);
    const started = Date.now();
    await assert.rejects(session.send(['sleep\n']), /sh session gave no answer in 200 ms/);
    assert.ok(Date.now() - started < 2000);
  });
});
