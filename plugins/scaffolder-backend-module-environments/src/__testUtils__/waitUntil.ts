/** The one wait-until helper of the test code: bounded polling, never a bare sleep loop. */

/** How long and how often {@link waitUntil} polls. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Pause between two polls (default 100 ms). */
  intervalMs?: number;
  /** Stops the wait early (the probe's own failure, a process that exited). */
  signal?: AbortSignal;
}

/** A probe's "not yet": undefined, null or false. */
type NotYet = undefined | null | false;

/** Resolves after `ms` milliseconds: for the pause between polls, and for deliberate delays. */
export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns something other than undefined, null or false, and returns
 * that value. Throws `<what> did not happen within <n> ms` on timeout; a probe that throws ends
 * the wait with its error. `describeLast` adds the last seen state to the timeout message.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: WaitOptions & { describeLast?: () => string | Promise<string> } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      const last = options.describeLast
        ? `; last: ${await options.describeLast()}`
        : '';
      throw new Error(`${what} did not happen within ${timeoutMs} ms${last}`);
    }
    await delay(options.intervalMs ?? 100);
  }
}

/** {@link waitUntil} for a condition: true once it held, false on timeout (never throws for time). */
export async function eventually(
  probe: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<boolean> {
  try {
    return await waitUntil('condition', probe, options);
  } catch (error) {
    if (String((error as Error)?.message).includes('did not happen within'))
      return false;
    throw error;
  }
}
