import Database from 'better-sqlite3';

/** Reads the store directly, the way an admin with sqlite3 would: checks what the CLI wrote. */
export function query<T = Record<string, unknown>>(db: string, sql: string, ...params: unknown[]): T[] {
  const handle = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return handle.prepare(sql).all(...params) as T[];
  } finally {
    handle.close();
  }
}

export function count(db: string, table: string, where = '1'): number {
  return (query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table} WHERE ${where}`)[0]!).n;
}
