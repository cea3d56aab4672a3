import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheDir, cacheFileName, cacheVerb, DEFAULT_CACHE_DIR } from '../../../src/launch/code-cache.js';

describe('code cache naming', () => {
  test('root uses /var/cache/stickyban unless told otherwise; other users only when told', () => {
    assert.equal(cacheDir(undefined, 0), DEFAULT_CACHE_DIR);
    assert.equal(cacheDir('', 0), DEFAULT_CACHE_DIR);
    assert.equal(cacheDir(undefined, 1000), undefined);
    assert.equal(cacheDir('/srv/cache', 1000), '/srv/cache');
    assert.equal(cacheDir('off', 0), undefined);
  });

  test('a verb names its cache; anything else shares one name', () => {
    assert.equal(cacheVerb('ban'), 'ban');
    assert.equal(cacheVerb('install-contrib'), 'install-contrib');
    for (const odd of [undefined, '../../etc/passwd', 'Ban', '192.0.2.7', 'x'.repeat(40), '']) assert.equal(cacheVerb(odd), 'other');
  });

  test('the name changes with the bundle file and with Node', () => {
    const bundle = { ino: 41, size: 288_000, mtimeMs: 1_795_000_000_123.4 };
    const node = { version: 'v20.20.2', arch: 'x64' };
    const name = cacheFileName('ban', bundle, node);
    assert.equal(name, 'ban-v20.20.2-x64-41-288000-1795000000123.v8');
    const variants = [
      cacheFileName('ban', { ...bundle, ino: 42 }, node),
      cacheFileName('ban', { ...bundle, size: 288_001 }, node),
      cacheFileName('ban', { ...bundle, mtimeMs: bundle.mtimeMs + 1 }, node),
      cacheFileName('ban', bundle, { ...node, version: 'v20.20.3' }),
      cacheFileName('ban', bundle, { ...node, arch: 'arm64' }),
      cacheFileName('restore', bundle, node),
    ];
    assert.equal(new Set([name, ...variants]).size, variants.length + 1);
  });
});
