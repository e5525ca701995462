import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../options.js';
import { loadDataset } from '../data/load.js';
import { readOptions } from '../data/rating-columns.js';
import type { ModelPipeline, TrainReport, TrainRequest } from './kinds.js';

/** ml-100k's official 5-fold cross-validation: u1..u5 test sets are disjoint and together hold every rating. */
export const CV_FOLDS = ['u1', 'u2', 'u3', 'u4', 'u5'] as const;

export interface CvFold {
  split: string;
  metrics: Record<string, number>;
  quantized: Record<string, number>;
  baselines: Record<string, Record<string, number>>;
  seconds: number;
}

export interface CvSummary {
  folds: CvFold[];
  /** Per metric: mean and population standard deviation over folds (numpy's std, as Surprise's cross_validate). */
  mean: Record<string, number>;
  std: Record<string, number>;
  quantized: { mean: Record<string, number>; std: Record<string, number> };
  /** The fold whose model the artifact holds. */
  artifact: string;
}

/**
 * Runs any pipeline once per official fold. The report's metrics, baselines and quantised figures are means
 * across folds, `cv` has the per-fold values and standard deviations. The artifact written to `out` is the last
 * fold's model (trained on u5.base): training on all ratings would leave no held-out figures to put in its manifest.
 */
export async function crossValidate(
  pipeline: ModelPipeline,
  req: TrainRequest,
  folds: readonly string[] = CV_FOLDS,
): Promise<TrainReport & { cv: CvSummary }> {
  const ds = await loadDataset(req.data, req.format, readOptions(req.options));
  const missing = folds.filter((f) => !ds.officialSplits?.[f]);
  if (missing.length) {
    throw new UsageError(
      `--cv runs over the official folds ${folds.join(', ')}, but ${ds.name} lacks ${missing.join(', ')} ` +
        `(it has: ${Object.keys(ds.officialSplits ?? {}).join(', ') || 'none'}); ml-100k ships them as uN.base/uN.test`,
    );
  }
  const scratch = await mkdtemp(join(tmpdir(), 'edgerec-cv-'));
  const reports: TrainReport[] = [];
  try {
    for (const [n, split] of folds.entries()) {
      const last = n === folds.length - 1;
      req.log(`cv fold ${n + 1}/${folds.length}: ${split}`);
      // Never refit inside CV: the artifact is the u5 fold's model, as the figures are the folds'.
      const r = await pipeline.run({ ...req, options: { ...req.options, refit: 'none' }, split, out: last ? req.out : join(scratch, split) });
      req.log(`cv fold ${split}: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
      reports.push(r);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return summarise(reports);
}

/** Folds' reports -> one report of means, with `cv` holding the per-fold values; exported for tests. */
export function summarise(reports: TrainReport[]): TrainReport & { cv: CvSummary } {
  const last = reports[reports.length - 1];
  const folds: CvFold[] = reports.map((r) => ({
    split: r.split,
    metrics: r.metrics,
    quantized: numeric(r.quantized),
    baselines: r.baselines,
    seconds: r.seconds.total,
  }));
  const metrics = stats(folds.map((f) => f.metrics));
  const quantized = stats(folds.map((f) => f.quantized));
  const baselines = Object.fromEntries(
    Object.keys(last.baselines).map((name) => [name, stats(folds.map((f) => f.baselines[name] ?? {})).mean]),
  );
  const epochMedians = reports.map((r) => r.seconds.epoch_median).sort((a, b) => a - b);
  return {
    ...last,
    split: `cv-${folds.map((f) => f.split).join('+')}`,
    metrics: metrics.mean,
    baselines,
    quantized: { ...quantized.mean, ...(typeof last.quantized.quantization === 'string' ? { quantization: last.quantized.quantization } : {}) },
    seconds: {
      train: reports.reduce((s, r) => s + r.seconds.train, 0),
      total: reports.reduce((s, r) => s + r.seconds.total, 0),
      epoch_median: epochMedians[Math.floor(epochMedians.length / 2)],
    },
    cv: { folds, mean: metrics.mean, std: metrics.std, quantized, artifact: last.split },
  };
}

/** Mean and population std of every key present in all of `rows`. */
function stats(rows: Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const keys = Object.keys(rows[0] ?? {}).filter((k) => rows.every((r) => typeof r[k] === 'number'));
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const k of keys) {
    const m = rows.reduce((s, r) => s + r[k], 0) / rows.length;
    mean[k] = m;
    std[k] = Math.sqrt(rows.reduce((s, r) => s + (r[k] - m) ** 2, 0) / rows.length);
  }
  return { mean, std };
}

function numeric(m: Record<string, number | string>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}
