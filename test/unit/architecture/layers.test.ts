// The import graph of src/ read from the sources: every import points down the layers, so the pure
// core never reaches for the store, the firewall or the CLI, and the daemon and the fleet are rooms
// of their own. A new import that points up fails here, naming the file and the rule.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/**
 * Layers from the bottom. A module may import its own layer and those below; the exceptions are the
 * rules after this table.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts', 'clock.ts', 'package-root.ts', 'version.ts', 'address/', 'input/'],
  ['plan/', 'config/', 'exec/', 'files/'],
  ['store/', 'firewall/', 'fail2ban/'],
  ['actions/', 'import/', 'export/', 'doctor/', 'contrib/'],
  ['commands/', 'daemon/', 'fleet/', 'launch/'],
  ['cli/', 'main.ts', 'launcher.ts'],
];

/** Pairs of areas in the same or a lower layer that must not meet all the same: [importer, imported, why]. */
const FORBIDDEN: ReadonlyArray<readonly [string, string, string]> = [
  ['firewall/', 'store/', 'a backend is told what to load; it never reads the store'],
  ['store/', 'firewall/', 'the store holds data; it never touches the kernel'],
  ['fail2ban/', 'store/', 'the fail2ban-client wrapper is told what to change; it never reads the store'],
  ['fail2ban/', 'firewall/', "fail2ban's own firewall rules are fail2ban's; the wrapper only talks to its server"],
  ['plan/', 'config/', 'the planner takes plain values, not the config'],
  ['daemon/', 'commands/', 'the daemon is a room of its own; the CLI starts it'],
  ['fleet/', 'commands/', 'the fleet is a room of its own; the CLI starts it'],
  ['fleet/', 'daemon/', 'the daemon runs the fleet sync; the fleet does not know the daemon'],
  ['launch/', 'commands/', 'the launcher runs before any command'],
];

function area(module: string): string {
  const slash = module.indexOf('/');
  return slash < 0 ? module : module.slice(0, slash + 1);
}

function layerOf(module: string): number {
  const index = LAYERS.findIndex((layer) => layer.includes(area(module)));
  assert.ok(index >= 0, `src/${module} is in no layer: add its folder to LAYERS in test/unit/architecture/layers.test.ts`);
  return index;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** The src/ modules a file imports, statically or with import(), types included. */
export function importsOf(module: string): string[] {
  const text = readFileSync(join(SRC, module), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => normalize(join(dirname(module), specifier)).replace(/\.js$/, '.ts'));
}

test('every import in src/ points down the layers (address ← plan ← store / firewall ← actions ← commands / daemon / fleet ← cli)', () => {
  const problems: string[] = [];
  for (const module of sources(SRC)) {
    for (const imported of importsOf(module)) {
      if (imported.startsWith('..')) {
        problems.push(`src/${module} imports ${imported}, outside src/`);
        continue;
      }
      if (layerOf(imported) > layerOf(module)) {
        problems.push(`src/${module} imports src/${imported}, a layer above it`);
      }
      for (const [importer, target, why] of FORBIDDEN) {
        if (area(module) === importer && area(imported) === target) problems.push(`src/${module} imports src/${imported}: ${why}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the layer check sees static, type-only and dynamic imports', () => {
  // The check is only as good as the reading of imports: one file that has all three kinds.
  const found = importsOf('cli/program.ts');
  assert.ok(found.includes('errors.ts'), 'a static import');
  assert.ok(found.includes('commands/ban.ts'), 'an import()');
  const types = importsOf('firewall/backend.ts');
  assert.ok(types.includes('plan/diff.ts'), 'an import type');
});
