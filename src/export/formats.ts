import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';

export const EXPORT_FORMATS = ['plain', 'ipset', 'nft', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function parseExportFormat(text: string | undefined): ExportFormat {
  if (text === undefined) return 'plain';
  if ((EXPORT_FORMATS as readonly string[]).includes(text)) return text as ExportFormat;
  throw new UsageError(`invalid --format ${quote(text)}: expected one of ${EXPORT_FORMATS.join(', ')}`);
}
