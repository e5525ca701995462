import type { Int8Matrix, TopKOptions, TopKResult } from './int8-engine.js';
import { quantizeQuery } from './kernel-inputs.js';

/**
 * The kernel's answer computed in plain TypeScript: the same quantised query, the same exact integer dot products
 * and the same f32 operations in the same order, a full sort with the same tie rule. For tests and benchmarks.
 */
export function referenceTopK(m: Int8Matrix, query: Float32Array, k: number, opts: TopKOptions = {}): TopKResult {
  const { q16, scale } = quantizeQuery(query, m.cols);
  const skip = new Set(opts.exclude ?? []);
  const allow = opts.allow === undefined ? undefined : new Set(opts.allow);
  const t = [m, ...(m.more ?? [])][opts.terms ?? 0];
  const inRange = (i: number) => {
    if (!opts.ranges) return true;
    for (let r = 0; r < opts.ranges.length; r += 2) if (i >= opts.ranges[r] && i < opts.ranges[r + 1]) return true;
    return false;
  };
  const rows: { i: number; s: number }[] = [];
  for (let i = 0; i < m.rows; i++) {
    if (skip.has(i) || (allow && !allow.has(i)) || !inRange(i)) continue;
    let dot = 0;
    for (let c = 0, at = i * m.cols; c < m.cols; c++, at++) dot += q16[c] * m.codes[at];
    let s = Math.fround(Math.fround(Math.fround(dot) * t.factor[i]) * scale);
    if (t.add) s = Math.fround(s + t.add[i]);
    rows.push({ i, s });
  }
  rows.sort((a, b) => b.s - a.s || a.i - b.i);
  const top = rows.slice(0, Math.max(0, Math.min(k, rows.length)));
  return { indices: Int32Array.from(top, (r) => r.i), scores: Float32Array.from(top, (r) => r.s) };
}
