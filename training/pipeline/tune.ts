import { createRng, type Rng } from '../data/random.js';
import { chooseSplit, randomSplit } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { clip, mae, rmse } from '../eval/metrics.js';
import { useWasmBackend } from '../tf-node.js';
import type { RatingKind, SearchParam, SearchSpace } from './rating-kind.js';

/**
 * Random hyper-parameter search, as notebook 004 runs keras-tuner's RandomSearch: sample a configuration, train,
 * score it on a validation set, keep the best. The validation rows are carved (seeded) out of the split's
 * training rows; the split's test rows are never read, so a tuned configuration can still be judged on them.
 */
export interface TuneRequest {
  dataset: RatingsDataset;
  kind: RatingKind<unknown>;
  trials: number;
  seed: number;
  /** The split whose training rows are searched on (its test rows are left alone). */
  split: string;
  /** Share of the training rows held out for validation. */
  validFraction: number;
  objective: 'rmse' | 'mae';
  /** Option values every trial uses (e.g. --epochs), as CLI strings; sampled values never override them. */
  fixed: Record<string, string>;
  log?: (line: string) => void;
}

export interface TuneTrial {
  trial: number;
  /** Sampled option values, as CLI strings. */
  params: Record<string, string>;
  metrics: Record<string, number>;
  seconds: number;
  error?: string;
}

export interface TuneResult {
  model: string;
  dataset: { name: string; fingerprint: string };
  split: string;
  validation: { fraction: number; fitRows: number; validRows: number };
  objective: string;
  space: SearchSpace;
  fixed: Record<string, string>;
  trials: TuneTrial[];
  best: (TuneTrial & { command: string }) | null;
}

export async function tune(req: TuneRequest): Promise<TuneResult> {
  const ds = req.dataset;
  const split = chooseSplit(ds, req.split, req.seed);
  const carve = randomSplit(split.train.length, req.validFraction, req.seed + 1);
  const fitRows = Int32Array.from(carve.train, (k) => split.train[k]);
  const validRows = Int32Array.from(carve.test, (k) => split.train[k]);
  const users = Int32Array.from(validRows, (r) => ds.ratings.user[r]);
  const items = Int32Array.from(validRows, (r) => ds.ratings.item[r]);
  const truth = Float32Array.from(validRows, (r) => ds.ratings.rating[r]);
  await useWasmBackend();

  const rng = createRng(req.seed);
  const trials: TuneTrial[] = [];
  // Trial 0 is the kind's defaults: the yardstick a sampled configuration has to beat.
  for (let t = 0; t <= req.trials; t++) {
    const params = t === 0 ? {} : sampleSpace(req.kind.space, rng, req.fixed);
    const t0 = performance.now();
    try {
      const options = req.kind.parse({ ...params, ...req.fixed }, req.seed);
      const fitted = await req.kind.fit(ds, fitRows, options, {});
      const pred = Float32Array.from(fitted.predict(users, items), (p) => clip(p, ds.ratingRange));
      const metrics = { rmse: rmse(pred, truth), mae: mae(pred, truth), ...fitted.extraMetrics?.(users, items, truth, ds.ratingRange) };
      trials.push({ trial: t, params, metrics, seconds: (performance.now() - t0) / 1000 });
    } catch (e) {
      // A diverged configuration is a result of the search (a bad corner of the space), not a reason to stop it.
      if ((e as Error).name !== 'DivergenceError') throw e;
      trials.push({ trial: t, params, metrics: {}, seconds: (performance.now() - t0) / 1000, error: (e as Error).message });
    }
    const last = trials[trials.length - 1];
    req.log?.(`trial ${t}/${req.trials}: ${t === 0 ? '(defaults)' : formatParams(params)} -> ${last.error ? 'diverged' : `valid ${req.objective} ${last.metrics[req.objective].toFixed(4)}`} (${last.seconds.toFixed(1)}s)`);
  }
  const ok = trials.filter((t) => !t.error);
  const bestTrial = ok.length ? ok.reduce((a, b) => (b.metrics[req.objective] < a.metrics[req.objective] ? b : a)) : null;
  return {
    model: req.kind.kind,
    dataset: { name: ds.name, fingerprint: ds.fingerprint },
    split: split.name,
    validation: { fraction: req.validFraction, fitRows: fitRows.length, validRows: validRows.length },
    objective: req.objective,
    space: req.kind.space,
    fixed: req.fixed,
    trials,
    best: bestTrial && { ...bestTrial, command: ['npm run train -- --model', req.kind.kind, formatParams({ ...bestTrial.params, ...req.fixed })].filter(Boolean).join(' ') },
  };
}

/** One configuration: every dimension of the space not fixed by the caller, as CLI strings. */
export function sampleSpace(space: SearchSpace, rng: Rng, fixed: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, p] of Object.entries(space)) if (!(name in fixed)) out[name] = sampleParam(p, rng);
  return out;
}

export function sampleParam(p: SearchParam, rng: Rng): string {
  if (p.type === 'choice') return p.values[Math.floor(rng() * p.values.length)];
  if (p.type === 'int') {
    const step = p.step ?? 1;
    const n = Math.floor((p.max - p.min) / step) + 1;
    return String(p.min + step * Math.floor(rng() * n));
  }
  let x = p.log ? Math.exp(Math.log(p.min) + rng() * (Math.log(p.max) - Math.log(p.min))) : p.min + rng() * (p.max - p.min);
  if (p.step) x = p.min + p.step * Math.round((x - p.min) / p.step);
  // Three significant digits: enough to reproduce the trial, short enough to paste.
  return String(Number(Math.min(p.max, Math.max(p.min, x)).toPrecision(3)));
}

export function formatParams(params: Record<string, string>): string {
  return Object.entries(params).map(([k, v]) => `--${k} ${v}`).join(' ');
}
