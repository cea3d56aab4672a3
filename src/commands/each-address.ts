// The addresses of one command (`ban A B C`, `unban A B C`), each done in turn, all of them even
// when one fails: a failure after the checks (a live set that refused its update, a store that
// could not be written) is that address's alone. Stopping there left the addresses after it
// undone, and said nothing of them: the admin read one address's failure and took the rest as done.

import { OperationalError, StickybanError, UsageError } from '../errors.js';
import type { Output } from './output.js';

/**
 * Runs `work` for each item. One item: its failure is thrown as it is. Several: each failure is
 * said as it comes (the successes say themselves), then one error names how many failed; exit 1
 * when any succeeded, since something was written.
 */
export async function eachAddress<T>(items: readonly T[], work: (item: T) => Promise<void>, out: Output): Promise<void> {
  if (items.length === 1) return work(items[0]!);
  let failures = 0;
  let allInvalid = true;
  for (const item of items) {
    try {
      await work(item);
    } catch (error) {
      // A bug is not an address's failure.
      if (!(error instanceof StickybanError)) throw error;
      out.warn(error.message);
      failures++;
      allInvalid &&= error instanceof UsageError;
    }
  }
  if (failures === 0) return;
  if (failures === items.length) {
    const message = `all ${items.length} addresses failed (said above)`;
    throw allInvalid ? new UsageError(message) : new OperationalError(message);
  }
  throw new OperationalError(`${failures} of ${items.length} addresses failed (said above); the others are done`);
}
