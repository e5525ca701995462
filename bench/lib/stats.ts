// Order statistics and the log-log fit the bench reports. Runtime-neutral: the bench Worker imports it too.

/** The q-quantile (0..1) of `xs` by linear interpolation between order statistics; NaN for an empty list. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (xs: ArrayLike<number>) => quantile(xs, 0.5);
export const p99 = (xs: ArrayLike<number>) => quantile(xs, 0.99);

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : Number.NaN;
}

/**
 * Run-to-run noise of a set of repeated measurements: the half-width of the interquartile range relative to the
 * median (0.05 = the middle half of the measurements lies within about +-5% of the median).
 */
export function relativeSpread(xs: ArrayLike<number>): number {
  const m = median(xs);
  return m > 0 ? (quantile(xs, 0.75) - quantile(xs, 0.25)) / 2 / m : Number.NaN;
}

/** Least-squares slope and intercept of log(y) on log(x): y ~ c * x^slope. Needs two or more distinct positive x. */
export function fitPowerLaw(xs: number[], ys: number[]): { exponent: number; coefficient: number; r2: number } | null {
  const pts = xs.map((x, i) => [x, ys[i]]).filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
  if (pts.length < 2 || new Set(pts.map(([x]) => x)).size < 2) return null;
  const lx = pts.map(([x]) => Math.log(x));
  const ly = pts.map(([, y]) => Math.log(y));
  const mx = mean(lx);
  const my = mean(ly);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
    syy += (ly[i] - my) ** 2;
  }
  const exponent = sxy / sxx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  return { exponent, coefficient: Math.exp(my - exponent * mx), r2 };
}

/** Rounds to `digits` significant digits for tables and JSON (timings carry no more than that). */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}
