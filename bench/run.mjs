// Runs the benchmarks one after another (they measure wall time, so never in parallel).
// Each prints its figures beside the baseline it is compared with. `npm run bench -- hook` runs one.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const all = ['hook', 'fail2ban', 'restore', 'reload', 'check', 'nftables', 'nft-hook', 'import', 'fleet', 'big-store'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
let failed = false;
for (const name of chosen) {
  const file = `bench/${name}.ts`;
  if (!existsSync(file)) {
    console.error(`bench: no ${file}`);
    failed = true;
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
