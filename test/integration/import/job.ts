// An ImportJob of a plain list, as `stickyban import --format plain` builds it, for tests that drive
// the import's passes (src/import/run.ts) directly.

import { fileInput } from '../../../src/import/input.js';
import type { ImportSettings } from '../../../src/import/importer.js';
import { NO_PROGRESS, type Progress } from '../../../src/import/progress.js';
import type { ImportJob } from '../../../src/import/run.js';

export function plainListJob(list: string, settings: Partial<ImportSettings> = {}, progress: Progress = NO_PROGRESS): ImportJob {
  return {
    input: fileInput(list, list),
    format: 'plain',
    chain: 'Blocklist',
    settings: { format: 'plain', jail: 'import', bantime: -1, now: 1_795_000_000, origin: 'test', protected: [], batchSize: 10_000, windowSize: 100_000, ...settings },
    busyTimeoutMs: 1000,
    progress: () => progress,
  };
}
