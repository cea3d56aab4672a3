// A flat blocklist as admins keep it (`echo <ip> >> /etc/shitlist`): one address or CIDR per line.
// Lines starting with '#' and blank lines are skipped and surrounding blanks ignored; a comment after
// the address ("192.0.2.7  # wp-login flood") is kept as the ban's reason. Anything else on a line
// makes it invalid: "10.0.0.1; rm -rf /" is not an address with a remark, it is not an address.

import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { cleanNote } from '../input/names.js';
import type { LineOutcome } from './outcome.js';

export function parsePlainLine(line: string): LineOutcome {
  const text = line.trim();
  if (text === '' || text.charCodeAt(0) === 35 /* # */) return undefined;
  let address = text;
  let reason: string | null = null;
  const hash = text.indexOf('#');
  // Only a '#' after a blank starts a comment, so "192.0.2.7#x" stays one (invalid) word.
  if (hash !== -1 && /[ \t]/.test(text[hash - 1]!)) {
    address = text.slice(0, hash).trimEnd();
    reason = cleanNote(text.slice(hash + 1)) || null;
  }
  const network = tryParseNetwork(address);
  if (isParseFailure(network)) return { error: `invalid address: ${network.error}` };
  return { network, reason, identity: '' };
}
