// The real fail2ban 1.0.2 fixtures in test/fixtures/fail2ban (its README says how they were made)
// and their independently computed expected.json files.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/fail2ban/', import.meta.url));

export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

export function fixtureLines(name: string): string[] {
  const text = readFileSync(fixture(name), 'utf8');
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

export function expected<T = any>(name: string): T {
  return JSON.parse(readFileSync(fixture(name), 'utf8')) as T;
}

export interface JailIps {
  readonly rows?: number;
  readonly lines?: number;
  readonly distinct_ips: number;
  readonly ips?: string[];
  readonly bantimes?: number[];
}

/** Sorted copy, for comparing sets of canonical addresses. */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}
