import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheBuild, cacheDir, cacheFileName, cacheVerb, DEFAULT_CACHE_DIR } from '../../../src/launch/code-cache.js';

describe('code cache naming', () => {
  test('root uses /var/cache/stickyban unless told otherwise; other users only when told; only absolute paths', () => {
    assert.equal(cacheDir(undefined, 0), DEFAULT_CACHE_DIR);
    assert.equal(cacheDir('', 0), DEFAULT_CACHE_DIR);
    assert.equal(cacheDir(undefined, 1000), undefined);
    assert.equal(cacheDir('/srv/cache', 1000), '/srv/cache');
    assert.equal(cacheDir('off', 0), undefined);
    assert.equal(cacheDir('cache', 0), undefined);
  });

  test('a verb names its cache; anything else shares one name', () => {
    assert.equal(cacheVerb('ban'), 'ban');
    assert.equal(cacheVerb('install-contrib'), 'install-contrib');
    for (const odd of [undefined, '../../etc/passwd', 'Ban', '192.0.2.7', 'x'.repeat(40), '']) assert.equal(cacheVerb(odd), 'other');
  });

  test('the name changes with every part of the bundle file identity, with Node and with its flags', () => {
    const bundle = { dev: 2049n, ino: 41n, size: 288_000n, mtimeNs: 1_795_000_000_123_456_789n, ctimeNs: 1_795_000_000_123_456_790n };
    const node = { version: 'v20.20.2', arch: 'x64' };
    const build = cacheBuild(bundle, node);
    const name = cacheFileName('ban', build, '--v8-pool-size=1\n');
    assert.match(name, /^ban-v20\.20\.2-x64-2049-41-288000-1795000000123456789-1795000000123456790-[0-9a-f]{8}\.v8$/);
    const variants = [
      ...(['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'] as const).map((field) => cacheFileName('ban', cacheBuild({ ...bundle, [field]: bundle[field] + 1n }, node), '--v8-pool-size=1\n')),
      cacheFileName('ban', cacheBuild(bundle, { ...node, version: 'v20.20.3' }), '--v8-pool-size=1\n'),
      cacheFileName('ban', cacheBuild(bundle, { ...node, arch: 'arm64' }), '--v8-pool-size=1\n'),
      cacheFileName('ban', build, '--v8-pool-size=1\n--max-old-space-size=512'),
      cacheFileName('restore', build, '--v8-pool-size=1\n'),
    ];
    assert.equal(new Set([name, ...variants]).size, variants.length + 1);
    assert.equal(cacheFileName('ban', build, '--v8-pool-size=1\n'), name, 'and only with them');
  });
});
