import type { Family } from '../address/network.js';
import { UsageError } from '../errors.js';
import { quote } from './quote.js';

/** --family: 4 or 6, or undefined for both. */
export function parseFamily(text: string | undefined): Family | undefined {
  if (text === undefined) return undefined;
  if (text === '4' || text === '6') return Number(text) as Family;
  throw new UsageError(`invalid --family ${quote(text)}: expected 4 or 6`);
}
