import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ToolError, ToolMissingError } from '../../../src/errors.js';
import { run } from '../../../src/exec/run.js';
import { tempDir } from '../../helpers/tmp.js';

describe('run: the one way to start a tool', () => {
  test('streams an iterable input far larger than a pipe, all of it, in order', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const chunks = function* (): Generator<string> {
      for (let i = 0; i < 2000; i++) yield line.repeat(100); // 20 MB in 10 KB chunks
    };
    const result = await run('sha256sum', [], { input: chunks() });
    const expected = await run('sh', ['-c', 'yes "$1" | head -n 200000 | sha256sum', 'sh', 'x'.repeat(99)]);
    assert.equal(result.stdout, expected.stdout);
  });

  test('a failing tool is a ToolError with its exit code, its stderr and the context', async () => {
    await assert.rejects(run('ls', ['/nonexistent-stickyban-path'], { context: 'listing' }), (error: unknown) => {
      assert.ok(error instanceof ToolError);
      assert.notEqual(error.toolExitCode, 0);
      assert.match(error.message, /^listing: ls \/nonexistent-stickyban-path failed: .*No such file or directory/);
      return true;
    });
    const allowed = await run('ls', ['/nonexistent-stickyban-path'], { allowFailure: true });
    assert.notEqual(allowed.exitCode, 0);
  });

  test('a tool that does not answer within its time limit is killed, and the error says so', async () => {
    const started = Date.now();
    await assert.rejects(run('sleep', ['30'], { timeoutMs: 200, context: 'asking a wedged server' }), (error: unknown) => {
      assert.ok(error instanceof ToolError);
      assert.equal(error.message, 'asking a wedged server: sleep 30 failed: no answer within 0.2 s: stopped');
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'not the 30 s it would have waited');
    assert.equal((await run('sh', ['-c', 'echo done'], { timeoutMs: 5_000 })).stdout, 'done\n', 'one that answers in time is not touched');
  });

  test('a missing tool names the Debian package to install', async () => {
    await assert.rejects(run('stickyban-no-such-tool', []), (error: unknown) => {
      assert.ok(error instanceof ToolMissingError);
      assert.match(error.message, /stickyban-no-such-tool is not installed .*apt-get install/);
      return true;
    });
  });

  test('an input that breaks off stops the tool before it sees an end of input, and the cause is the error', async () => {
    const dir = tempDir();
    const finished = join(dir, 'finished');
    const cause = new Error('the store failed mid-stream');
    const input = function* (): Generator<string> {
      yield 'create stickyban-t1 hash:net\n'.repeat(1000);
      throw cause;
    };
    // The tool marks that it read its whole input; a tool acting on a partial batch would.
    await assert.rejects(run('sh', ['-c', 'cat >/dev/null && : > "$1"', 'sh', finished], { input: input() }), (error: unknown) => error === cause);
    assert.equal(existsSync(finished), false, 'the tool never saw the end of its input');
  });
});
