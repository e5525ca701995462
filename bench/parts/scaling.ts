// Part 7: how query time, cold start, memory and epoch time grow with catalogue and data size: the measured points
// and the exponent of a least-squares fit of log(y) on log(x) (1 = linear).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../test/helpers/worker.js';
import type { BenchContext, Part, PartResult } from '../lib/context.js';
import { fitPowerLaw, sig } from '../lib/stats.js';
import type { Cell } from '../lib/table.js';

interface Series {
  quantity: string;
  x: string;
  points: [number, number][];
}

/** A part's data from this run, else from its last stored run of the same kind (quick or full). */
function partData(ctx: BenchContext, name: string): Record<string, unknown> | undefined {
  if (ctx.done[name]) return { ...ctx.done[name].data, summary: ctx.done[name].summary };
  const file = path.join(REPO_ROOT, 'bench/results', `${name}.json`);
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return stored.quick === ctx.quick ? stored : undefined;
}

export const scalingPart: Part = {
  name: 'scaling',
  title: 'Scaling: fitted exponents (y ~ x^e) from the other parts of this run',
  async run(ctx: BenchContext): Promise<PartResult> {
    const series: Series[] = [];
    const q = partData(ctx, 'queries') as { cells?: { runtime: string; items: number; impl: string; op: string; medianMs: number }[] } | undefined;
    for (const op of ['similar', 'recommend']) {
      for (const impl of ['engine', 'wasm', 'loop']) {
        const pts = (q?.cells ?? []).filter((c) => c.runtime === 'workerd' && c.impl === impl && c.op === op).map((c) => [c.items, c.medianMs] as [number, number]);
        if (pts.length) series.push({ quantity: `${op} ms (workerd ${impl})`, x: 'items', points: pts });
      }
    }
    const cold = partData(ctx, 'cold-start') as { results?: { items: number; quantization: string; label?: string; median: { firstMs: number; decodeMs: number; uploadMs: number } }[] } | undefined;
    for (const fmt of ['q8', 'f32']) {
      const rs = (cold?.results ?? []).filter((r) => (r.label ?? r.quantization) === fmt);
      if (rs.length) {
        series.push({ quantity: `cold start ms (${fmt})`, x: 'items', points: rs.map((r) => [r.items, r.median.firstMs]) });
        series.push({ quantity: `decode + upload ms (${fmt})`, x: 'items', points: rs.map((r) => [r.items, r.median.decodeMs + r.median.uploadMs]) });
      }
    }
    const mem = (partData(ctx, 'memory')?.summary as Record<string, unknown> | undefined)?.isolate_bytes as Record<string, number> | undefined;
    if (mem) series.push({ quantity: 'isolate memory MB (est.)', x: 'items', points: Object.entries(mem).map(([n, b]) => [Number(n), b / 2 ** 20]) });
    const tr = partData(ctx, 'training') as { rows?: { kind: string; ts?: { epochMedian: number; report: { dataset: { ratings?: number } } } }[] } | undefined;
    for (const kind of [...new Set((tr?.rows ?? []).map((r) => r.kind))]) {
      const pts = (tr?.rows ?? []).filter((r) => r.kind === kind && r.ts?.report.dataset.ratings).map((r) => [r.ts!.report.dataset.ratings!, r.ts!.epochMedian] as [number, number]);
      if (pts.length > 1) series.push({ quantity: `${kind} s/epoch`, x: 'ratings', points: pts });
    }
    const fits = series.map((s) => ({ ...s, fit: fitPowerLaw(s.points.map((p) => p[0]), s.points.map((p) => p[1])) }));
    const rows: Cell[][] = fits.map((s) => [
      s.quantity,
      s.points.map(([x, y]) => `${x.toLocaleString('en')}: ${sig(y)}`).join(', '),
      s.fit ? sig(s.fit.exponent, 3) : null,
      s.fit ? sig(s.fit.r2, 3) : null,
    ]);
    return {
      name: 'scaling',
      tables: [
        {
          title: 'Growth with catalogue size (items) and data size (ratings)',
          headers: ['quantity', 'points (x: y)', 'exponent', 'r²'],
          rows,
          notes: [
            'exponent: slope of the least-squares line through (log x, log y); 1 = linear, 0 = flat. With two points it is exact, so the fit says little; r² is 1 by construction then.',
            'Below ~0.1 ms per query fixed costs (op dispatch, topk set-up, dataSync) dominate and flatten the curve; cold start has a size-independent part (wasm init, HTTP).',
          ],
        },
      ],
      data: { series: fits },
      summary: { scaling_exponents: Object.fromEntries(fits.filter((f) => f.fit).map((f) => [f.quantity, sig(f.fit!.exponent, 3)])) },
    };
  },
};
