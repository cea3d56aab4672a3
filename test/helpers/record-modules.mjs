// Preloaded with --import after tsx: records every module the process resolves (one URL a line) to
// the file RECORD_MODULES names, so a test can say what a command loaded.
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_MODULES } });
