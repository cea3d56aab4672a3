import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULTS, loadConfig } from '../../../src/config/config.js';

test('the example config parses and spells out exactly the defaults', async () => {
  const file = fileURLToPath(new URL('../../../contrib/examples/config.toml', import.meta.url));
  const { file: loadedFrom, ...loaded } = await loadConfig({ config: file }, {});
  const { file: _none, ...defaults } = DEFAULTS;
  assert.equal(loadedFrom, file);
  assert.deepEqual(loaded, defaults);
});

test('values that cannot work are refused when the config is read, naming the key', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('../../helpers/tmp.js');
  const cases: Array<[string, RegExp]> = [
    ['[policy]\njails = ["sshd", "bad jail"]\n', /"policy\.jails" entry "bad jail" is not a jail name/],
    ['[ipset]\nset4 = "same"\nset6 = "same"\n', /"ipset\.set4" and "ipset\.set6" must name two different sets/],
    ['busy_timeout = "100y"\n', /"busy_timeout" "100y" must be from 0s to 1h/],
    ['[daemon]\nheal_interval = "0s"\n', /"daemon\.heal_interval" "0s" must be from 1s to 1d/],
  ];
  for (const [text, message] of cases) {
    const file = join(tempDir(), 'config.toml');
    writeFileSync(file, text);
    await assert.rejects(loadConfig({ config: file }, {}), (error: Error & { kind?: string }) => error.kind === 'invalid' && message.test(error.message), text);
  }
});

test('a config path that is a directory is one clear line, exit 2', async () => {
  const { tempDir } = await import('../../helpers/tmp.js');
  const dir = tempDir();
  await assert.rejects(loadConfig({ config: dir }, {}), (error: Error & { kind?: string }) => error.kind === 'invalid' && error.message === `cannot read config file ${dir}: it is a directory; expected a file`);
});
