/**
 * Waits until `fn` returns a truthy value (or stops throwing), polling every `interval` ms; rejects with the
 * last error or value after `timeout` ms. Use it instead of a fixed sleep: it waits for the condition itself.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: { timeout?: number; interval?: number; message?: string } = {}): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const timeout = opts.timeout ?? 5000;
  const interval = opts.interval ?? 20;
  const end = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as Exclude<T, false | null | undefined | 0 | ''>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= end) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${opts.message ?? 'condition'} not met within ${timeout} ms (last: ${why})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
