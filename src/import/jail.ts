import { parseJail } from '../input/names.js';

/** The ban hook's rule for jail names, as a test (imports count bad rows instead of stopping). */
export function isJailName(text: string): boolean {
  try {
    parseJail(text);
    return true;
  } catch {
    return false;
  }
}
