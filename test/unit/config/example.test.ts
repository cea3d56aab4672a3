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
