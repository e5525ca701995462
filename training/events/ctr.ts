// Online metrics from events: impressions, clicks and click-through rate per A/B variant.
import type { StoredEvent } from '../../shared/events.js';

export interface VariantCtr {
  /** The variant the answers named; "(none)" for events without one (no split was active). */
  variant: string;
  impressions: number;
  clicks: number;
  /** clicks / impressions (null without impressions). */
  ctr: number | null;
  /** Wilson score interval at 95% for the CTR (null without impressions). */
  ci95: [number, number] | null;
}

export const NO_VARIANT = '(none)';
const Z95 = 1.959963984540054;

/**
 * Wilson score interval for k successes in n trials: unlike the normal approximation it stays inside [0, 1] and is
 * sound for small n and rates near 0, which is where CTRs live. k is capped at n (a click on an item whose
 * impression beacon was lost cannot push the rate past 1).
 */
export function wilson(k: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = Math.min(k, n) / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Per variant, sorted by name ("(none)" last). */
export function ctrByVariant(events: readonly StoredEvent[]): VariantCtr[] {
  const counts = new Map<string, { impressions: number; clicks: number }>();
  for (const e of events) {
    if (e.type !== 'impression' && e.type !== 'click') continue;
    const v = e.variant ?? NO_VARIANT;
    const c = counts.get(v) ?? { impressions: 0, clicks: 0 };
    if (e.type === 'impression') c.impressions++;
    else c.clicks++;
    counts.set(v, c);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => (a === NO_VARIANT ? 1 : b === NO_VARIANT ? -1 : a < b ? -1 : a > b ? 1 : 0))
    .map(([variant, { impressions, clicks }]) => ({
      variant,
      impressions,
      clicks,
      ctr: impressions ? clicks / impressions : null,
      ci95: impressions ? wilson(clicks, impressions) : null,
    }));
}

export function formatCtrTable(rows: readonly VariantCtr[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [['variant', 'impressions', 'clicks', 'CTR', '95% CI (Wilson)'].join('\t')];
  for (const r of rows) {
    lines.push([r.variant, r.impressions, r.clicks, r.ctr === null ? '-' : pct(r.ctr), r.ci95 ? `${pct(r.ci95[0])} .. ${pct(r.ci95[1])}` : '-'].join('\t'));
  }
  return lines.join('\n');
}
