/**
 * Waits for a condition with a deadline instead of a fixed sleep; resolves with the probe's first
 * truthy value. Fails with what it was waiting for.
 */
export async function until<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
