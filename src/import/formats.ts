import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';

export const IMPORT_FORMATS = ['fail2ban-db', 'fail2ban-log', 'plain', 'iptables-save'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function parseImportFormat(text: string | undefined): ImportFormat {
  if (text === undefined) throw new UsageError(`missing --format: expected one of ${IMPORT_FORMATS.join(', ')}`);
  if ((IMPORT_FORMATS as readonly string[]).includes(text)) return text as ImportFormat;
  throw new UsageError(`invalid --format ${quote(text)}: expected one of ${IMPORT_FORMATS.join(', ')}`);
}

/** Formats whose input is text read line by line (the database is read with SQLite). */
export function isLineFormat(format: ImportFormat): format is Exclude<ImportFormat, 'fail2ban-db'> {
  return format !== 'fail2ban-db';
}
