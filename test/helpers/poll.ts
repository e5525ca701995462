// Waiting for something the Worker does in the background (a swap, a refusal, a hidden list) without assuming how
// fast the machine is: probe until the condition holds, with a bounded number of probes (not a deadline to meet),
// and a short pause between probes so polling does not starve the load it waits for on a busy machine.

export interface PollOptions {
  /** Most probes before giving up (default 4,000: with the 5 ms pauses, 20 s or more). */
  max?: number;
  /** Pause between probes in ms (default 5). Not a guess at how long anything takes: only a yield. */
  pauseMs?: number;
}

/** Calls probe until ok(result); returns every result seen, the last one satisfying ok. Throws naming `what`. */
export async function pollUntil<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, opts: PollOptions = {}): Promise<T[]> {
  const max = opts.max ?? 4000;
  const seen: T[] = [];
  for (let i = 0; i < max; i++) {
    const v = await probe();
    seen.push(v);
    if (ok(v)) return seen;
    await new Promise((r) => setTimeout(r, opts.pauseMs ?? 5));
  }
  throw new Error(`${what}: not seen after ${max} probes; last: ${JSON.stringify(seen[seen.length - 1]).slice(0, 500)}`);
}
