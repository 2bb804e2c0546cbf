// Timing helpers the module benches share: a percentile and a timed loop with warm-up.

/** The p-th percentile (0–100) of timings, in their unit. */
export const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/**
 * Runs `fn` `warmup` times untimed (with indices n, n + 1, …, so a warm-up never uses a timed run's input), then `n`
 * times timed with indices 0 … n − 1; returns the n durations in ms.
 */
export async function timed(n: number, fn: (i: number) => Promise<unknown>, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(n + i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}
