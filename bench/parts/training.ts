// Part 6: training speed and memory per model kind (every kind in training/pipeline/registry.ts), on ml-100k and on
// generated data of MovieLens-1M and -10M shape, beside the same model in PyTorch (bench/pytorch/<kind>.py) at the
// same batch size, with the quality each reaches: speed at equal quality.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDataset } from '../../training/data/load.js';
import { chooseSplit } from '../../training/data/split.js';
import { generateSynthetic, writeSyntheticMovieLens } from '../../training/data/synthetic.js';
import type { RatingsDataset, Split } from '../../training/data/types.js';
import { itemTagIndex } from '../../training/models/bpr.js';
import type { EpochReport, TrainReport } from '../../training/pipeline/kinds.js';
import { PIPELINES } from '../../training/pipeline/registry.js';
import { REPO_ROOT } from '../../test/helpers/worker.js';
import type { BenchContext, Part, PartResult } from '../lib/context.js';
import { lastJson, runBounded } from '../lib/spawn.js';
import { sig } from '../lib/stats.js';
import type { Table } from '../lib/table.js';
import { ML100K } from './quantization.js';

const PYTHON = '/usr/bin/python3';
const MB = 1024 * 1024;
/** The batch PyTorch is usually run at, besides the TypeScript trainers' own (one example per step). */
const TORCH_BATCH = 64;

interface DatasetPlan {
  name: string;
  /** Epochs both trainers run. */
  epochs: number;
  kinds: string[];
  /** PyTorch full epochs (quality) or only a timed slice (speed). */
  torchFull: boolean;
  timeoutMs: number;
  load(ctx: BenchContext): Promise<{ dir: string; ds: RatingsDataset } | null>;
}

function synthetic(name: string, users: number, items: number, perUser: number): DatasetPlan['load'] {
  return async (ctx) => {
    const dir = path.join(ctx.tmp, name);
    const t0 = performance.now();
    await writeSyntheticMovieLens(dir, generateSynthetic({ users, items, ratingsPerUser: perUser, seed: 7 }));
    // Read back through the same reader the train CLI uses, so indices and splits match it exactly.
    const ds = await loadDataset(dir);
    ctx.log(`  generated ${name}: ${ds.ratings.rating.length.toLocaleString('en')} ratings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { dir, ds };
  };
}

function plans(ctx: BenchContext): DatasetPlan[] {
  const all = Object.keys(PIPELINES);
  const ml100k: DatasetPlan['load'] = async () => (existsSync(ML100K) ? { dir: ML100K, ds: await loadDataset(ML100K) } : null);
  if (ctx.quick) {
    return [
      { name: 'ml-100k', epochs: 2, kinds: ['mf', 'bpr'], torchFull: true, timeoutMs: 60_000, load: ml100k },
      { name: 'synthetic-1m', epochs: 1, kinds: ['mf'], torchFull: false, timeoutMs: 60_000, load: synthetic('synthetic-1m', 6040, 3706, 166) },
    ];
  }
  return [
    { name: 'ml-100k', epochs: 10, kinds: all, torchFull: true, timeoutMs: 180_000, load: ml100k },
    { name: 'synthetic-1m', epochs: 5, kinds: all, torchFull: true, timeoutMs: 240_000, load: synthetic('synthetic-1m', 6040, 3706, 166) },
    { name: 'synthetic-10m', epochs: 1, kinds: ['mf', 'bpr'], torchFull: false, timeoutMs: 420_000, load: synthetic('synthetic-10m', 69_878, 10_677, 143) },
  ];
}

interface TorchRun {
  batch: number;
  epochMedian: number | null;
  extrapolated: boolean;
  metrics: Record<string, number>;
  epochs: (EpochReport & { extrapolated?: boolean })[];
  peakRssBytes: number | null;
  error?: string;
}

interface Row {
  dataset: string;
  kind: string;
  epochs: number;
  ts?: { epochMedian: number; metrics: Record<string, number>; quantized: Record<string, number | string>; peakRssBytes: number | null; seconds: number; split: string; report: TrainReport };
  torch: TorchRun[];
  note?: string;
  /** Quality both reached (the worse final figure) and the training seconds each needed to reach it. */
  equalQuality?: { metric: string; target: number; tsSeconds: number | null; torchSeconds: number | null; torchBatch: number };
}

async function writeSplitCsv(dir: string, ds: RatingsDataset, split: Split): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { user, item, rating } = ds.ratings;
  for (const [name, rows] of [['train.csv', split.train], ['test.csv', split.test]] as const) {
    const parts: string[] = [];
    for (let k = 0; k < rows.length; k += 100_000) {
      let s = '';
      for (const r of rows.subarray(k, k + 100_000)) s += `${user[r]},${item[r]},${rating[r]}\n`;
      parts.push(s);
    }
    await writeFile(path.join(dir, name), parts.join(''));
  }
  const { vocabulary, itemTags } = itemTagIndex(ds.itemMeta);
  let tags = '';
  for (let i = 0; i < ds.itemIds.length; i++) for (let k = itemTags.indptr[i]; k < itemTags.indptr[i + 1]; k++) tags += `${i},${itemTags.indices[k]}\n`;
  await writeFile(path.join(dir, 'item-tags.csv'), tags);
  await writeFile(path.join(dir, 'counts.json'), JSON.stringify({ users: ds.userIds.length, items: ds.itemIds.length, tags: vocabulary.length }));
}

/** The TypeScript kind's hyper-parameters as the PyTorch script's flags: the same model, not a re-tuned one. */
function torchArgs(kind: string, hyper: Record<string, number | string | boolean>, ds: RatingsDataset, tags: number): string[] | null {
  const h = (k: string) => String(hyper[k]);
  if (kind === 'mf') {
    if (hyper.bias === false || hyper.implicit === true) return null;
    return ['--dim', h('dim'), '--lr', h('lr'), '--reg', h('reg'), '--reg-bias', h('regBias'), '--lr-decay', h('lrDecay'), '--init-std', h('initStd'), '--min-rating', String(ds.ratingRange[0]), '--max-rating', String(ds.ratingRange[1])];
  }
  if (kind === 'bpr') {
    if (!['adagrad', 'rowwise-adagrad'].includes(String(hyper.optimizer)) || Number(hyper.negatives) !== 1) return null;
    return ['--item-dim', h('itemDim'), '--tag-dim', h('tagDim'), '--lr', h('lr'), '--reg', h('reg'), '--optimizer', h('optimizer'), '--init-scale', h('initScale'), '--lr-decay', h('lrDecay'), '--tags', String(tags)];
  }
  return null;
}

function qualityOf(metrics: Record<string, number>): { key: string; epochKey: string; higherBetter: boolean } | null {
  if ('rmse' in metrics) return { key: 'rmse', epochKey: 'validRmse', higherBetter: false };
  if ('auc' in metrics) return { key: 'auc', epochKey: 'auc', higherBetter: true };
  return null;
}

/** Cumulative training seconds until the per-epoch metric first reaches `target`. */
function secondsTo(epochs: EpochReport[], key: string, target: number, higherBetter: boolean): number | null {
  let t = 0;
  for (const e of epochs) {
    t += e.seconds;
    const v = e[key];
    if (typeof v === 'number' && (higherBetter ? v >= target - 1e-9 : v <= target + 1e-9)) return sig(t);
  }
  return null;
}

export const trainingPart: Part = {
  name: 'training',
  title: 'Training: seconds per epoch and peak RSS per model kind, beside PyTorch',
  async run(ctx: BenchContext): Promise<PartResult> {
    const torchOk = existsSync(PYTHON) && (await runBounded(PYTHON, ['-c', 'import torch'], { cwd: REPO_ROOT, timeoutMs: 60_000, rssFile: path.join(ctx.tmp, 'probe.rss') })).code === 0;
    const notes: string[] = [];
    if (!torchOk) notes.push('PyTorch columns skipped: /usr/bin/python3 cannot import torch (apt-get install -y python3-torch).');
    const rows: Row[] = [];
    for (const plan of plans(ctx)) {
      const data = await plan.load(ctx);
      if (!data) {
        notes.push(`${plan.name} skipped: ${ML100K} is absent.`);
        continue;
      }
      const splitsWritten = new Set<string>();
      for (const kind of plan.kinds) {
        const row: Row = { dataset: plan.name, kind, epochs: plan.epochs, torch: [] };
        rows.push(row);
        const report = await trainTs(ctx, plan, data.dir, row, notes);
        if (report && torchOk) await compareTorch(ctx, plan, data.ds, row, report, splitsWritten, notes);
      }
    }
    return trainingResult(rows, notes);
  },
};

/** One TypeScript training run through the train CLI: row.ts, or row.note when it failed. */
async function trainTs(ctx: BenchContext, plan: DatasetPlan, dataDir: string, row: Row, notes: string[]): Promise<TrainReport | null> {
  const { kind } = row;
  const pipeline = PIPELINES[kind];
  const out = path.join(ctx.tmp, `train-${plan.name}-${kind}`);
  const args = ['--import', 'tsx', path.join(REPO_ROOT, 'training/cli/train.ts'), '--data', dataDir, '--model', kind, '--out', out, '--epochs', String(plan.epochs), '--seed', '42', '--json'];
  // Per-epoch ranking metrics (timed outside the epochs) give the ranking kinds a time-to-quality curve.
  if (pipeline.options['epoch-metrics']) args.push('--epoch-metrics');
  const r = await runBounded(process.execPath, args, { cwd: REPO_ROOT, timeoutMs: plan.timeoutMs, rssFile: path.join(ctx.tmp, 'ts.rss') });
  const report = r.code === 0 ? lastJson<TrainReport>(r.stdout) : null;
  if (!report) {
    const why = r.timedOut ? `timed out after ${plan.timeoutMs / 1000} s` : (r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.code}`).slice(0, 200);
    row.note = `${kind} on ${plan.name}: ${why}`;
    notes.push(`skipped ${row.note}`);
    ctx.log(`  ${plan.name} ${kind}: skipped (${why})`);
    return null;
  }
  const num = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  row.ts = { epochMedian: sig(report.seconds.epoch_median), metrics: num(report.metrics), quantized: report.quantized, peakRssBytes: r.peakRssBytes, seconds: sig(r.seconds), split: report.split, report };
  ctx.log(`  ${plan.name} ${kind}: ${row.ts.epochMedian} s/epoch, ${JSON.stringify(row.ts.metrics).slice(0, 120)}`);
  return report;
}

/** The same model in PyTorch (where bench/pytorch/<kind>.py implements it) on the same split rows: row.torch, row.equalQuality. */
async function compareTorch(ctx: BenchContext, plan: DatasetPlan, ds: RatingsDataset, row: Row, report: TrainReport, splitsWritten: Set<string>, notes: string[]): Promise<void> {
  const { kind } = row;
  const script = path.join(REPO_ROOT, `bench/pytorch/${kind}.py`);
  if (!existsSync(script)) return;
  const splitDir = path.join(ctx.tmp, `csv-${plan.name}-${report.split}`);
  if (!splitsWritten.has(report.split)) {
    await writeSplitCsv(splitDir, ds, chooseSplit(ds, report.split, 42));
    splitsWritten.add(report.split);
  }
  const counts = { users: ds.userIds.length, items: ds.itemIds.length, tags: itemTagIndex(ds.itemMeta).vocabulary.length };
  const extra = torchArgs(kind, report.hyper, ds, counts.tags);
  if (!extra) {
    notes.push(`${kind} on ${plan.name}: PyTorch skipped, bench/pytorch/${kind}.py does not implement these hyper-parameters.`);
    return;
  }
  for (const batch of [1, TORCH_BATCH]) row.torch.push(await runTorch(ctx, plan, kind, script, splitDir, counts, extra, batch, notes));
  equalQuality(row, report);
}

/** One PyTorch run of `kind` at `batch`: full epochs at the batch PyTorch is run at (when the plan says so), else a timed slice. */
async function runTorch(ctx: BenchContext, plan: DatasetPlan, kind: string, script: string, splitDir: string, counts: { users: number; items: number }, extra: string[], batch: number, notes: string[]): Promise<TorchRun> {
  const full = plan.torchFull && batch !== 1;
  const pyArgs = [
    script,
    '--train', path.join(splitDir, 'train.csv'),
    '--test', path.join(splitDir, 'test.csv'),
    ...(kind === 'bpr' ? ['--item-tags', path.join(splitDir, 'item-tags.csv')] : []),
    '--users', String(counts.users),
    '--items', String(counts.items),
    '--epochs', String(full ? plan.epochs : 1),
    '--batch', String(batch),
    '--seed', '42',
    ...(full ? [] : ['--max-epoch-seconds', ctx.quick ? '2' : '8']),
    ...extra,
  ];
  const p = await runBounded(PYTHON, pyArgs, {
    cwd: path.join(REPO_ROOT, 'bench/pytorch'),
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    timeoutMs: plan.timeoutMs,
    rssFile: path.join(ctx.tmp, 'py.rss'),
  });
  const j = p.code === 0 ? lastJson<{ epoch_median: number; extrapolated: boolean; metrics: Record<string, number>; epochs: TorchRun['epochs']; peak_rss_bytes: number }>(p.stdout) : null;
  const run: TorchRun = j
    ? { batch, epochMedian: sig(j.epoch_median), extrapolated: j.extrapolated, metrics: j.metrics, epochs: j.epochs, peakRssBytes: p.peakRssBytes ?? j.peak_rss_bytes }
    : { batch, epochMedian: null, extrapolated: false, metrics: {}, epochs: [], peakRssBytes: null, error: p.timedOut ? `timed out after ${plan.timeoutMs / 1000} s` : p.stderr.trim().split('\n').pop()?.slice(0, 200) };
  if (run.error) notes.push(`PyTorch ${kind} b${batch} on ${plan.name}: ${run.error}`);
  ctx.log(`    pytorch b${batch}: ${run.epochMedian ?? '–'} s/epoch${run.extrapolated ? ' (extrapolated)' : ''} ${JSON.stringify(run.metrics)}`);
  return run;
}

/** The quality both reached (the worse final figure) and the training seconds each needed to reach it. */
function equalQuality(row: Row, report: TrainReport): void {
  const q = qualityOf(row.ts!.metrics);
  const ref = row.torch.find((t) => !t.extrapolated && t.metrics[q?.key ?? ''] !== undefined);
  const lastOf = (epochs: EpochReport[]) => [...epochs].reverse().find((e) => typeof e[q?.epochKey ?? ''] === 'number')?.[q?.epochKey ?? ''];
  const a = lastOf(report.epochs);
  const b = ref ? lastOf(ref.epochs) : undefined;
  if (q && ref && a !== undefined && b !== undefined) {
    // From the per-epoch series of both (mf's per-epoch RMSE is unclipped on both sides).
    const target = q.higherBetter ? Math.min(a, b) : Math.max(a, b);
    row.equalQuality = {
      metric: q.key,
      target: sig(target, 4),
      tsSeconds: secondsTo(report.epochs, q.epochKey, target, q.higherBetter),
      torchSeconds: secondsTo(ref.epochs, q.epochKey, target, q.higherBetter),
      torchBatch: ref.batch,
    };
  }
}

/** A row's PyTorch run at batch 1 and at TORCH_BATCH. */
const t1 = (r: Row) => r.torch.find((t) => t.batch === 1);
const tb = (r: Row) => r.torch.find((t) => t.batch === TORCH_BATCH);

function trainingTable(rows: Row[], notes: string[]): Table {
  const qual = (m: Record<string, number> | undefined) => {
    if (!m) return null;
    const q = qualityOf(m);
    return q ? `${q.key} ${m[q.key].toFixed(4)}` : Object.entries(m).slice(0, 1).map(([k, v]) => `${k} ${v.toFixed(4)}`)[0] ?? null;
  };
  return {
    title: 'Training: seconds per epoch (median), peak RSS, quality after the same epochs',
    headers: ['dataset', 'kind', 'epochs', 'TS s/epoch', 'TS quality', 'TS RSS MB', `PyTorch b1 s/epoch`, `PyTorch b${TORCH_BATCH} s/epoch`, `PyTorch b${TORCH_BATCH} quality`, 'PyTorch RSS MB', 'seconds to equal quality TS / PyTorch'],
    rows: rows.map((r) => [
      r.dataset,
      r.kind,
      r.epochs,
      r.ts?.epochMedian ?? (r.note ? 'skipped' : null),
      qual(r.ts?.metrics),
      r.ts?.peakRssBytes ? r.ts.peakRssBytes / MB : null,
      t1(r)?.epochMedian != null ? `${t1(r)!.epochMedian}${t1(r)!.extrapolated ? ' (extrap.)' : ''}` : null,
      tb(r)?.epochMedian != null ? `${tb(r)!.epochMedian}${tb(r)!.extrapolated ? ' (extrap.)' : ''}` : null,
      qual(tb(r)?.metrics),
      tb(r)?.peakRssBytes ? tb(r)!.peakRssBytes! / MB : null,
      r.equalQuality ? `${r.equalQuality.tsSeconds ?? 'not reached'} / ${r.equalQuality.torchSeconds ?? 'not reached'} (${r.equalQuality.metric} ${r.equalQuality.target})` : null,
    ]),
    notes: [
      'TS = the project\'s trainer through `npm run train -- --model <kind> --epochs E --seed 42 --json` (one process per run, its own report\'s median epoch); RSS = peak resident set of the whole process (GNU time), data loading and export included.',
      `PyTorch ${'1.13'} CPU (Debian python3-torch, /usr/bin/python3, OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)); same model, loss, optimiser and hyper-parameters as the TS kind (read from its report), same split rows (CSV written by the bench). b1 = one example per step, the TS trainers' own batch: a timed slice of the first epoch, extrapolated (a full epoch is minutes in Python). b${TORCH_BATCH}: full epochs where the quality column is filled.`,
      'quality: held-out RMSE (rating kinds, lower is better) or AUC (ranking kinds) of the float model after the same number of epochs. "seconds to equal quality": training seconds each needed to first reach the worse of the two final figures, from per-epoch figures.',
      'Both trainers use one core; kinds without a PyTorch script have no PyTorch columns.',
      ...notes,
    ],
  };
}

function trainingResult(rows: Row[], notes: string[]): PartResult {
  const byKind = (f: (r: Row) => number | null | undefined) => {
    const out: Record<string, Record<string, number>> = {};
    for (const r of rows) {
      const v = f(r);
      if (v == null) continue;
      (out[r.kind] ??= {})[r.dataset] = v;
    }
    return out;
  };
  return {
    name: 'training',
    tables: [trainingTable(rows, notes)],
    data: { rows: rows.map((r) => ({ ...r, ts: r.ts ? { ...r.ts, report: { hyper: r.ts.report.hyper, epochs: r.ts.report.epochs, seconds: r.ts.report.seconds, dataset: r.ts.report.dataset } } : undefined })) },
    summary: {
      train_epoch_s: byKind((r) => r.ts?.epochMedian),
      pytorch_epoch_s: byKind((r) => t1(r)?.epochMedian),
      pytorch_b64_epoch_s: byKind((r) => tb(r)?.epochMedian),
      train_peak_rss_mb: byKind((r) => (r.ts?.peakRssBytes ? sig(r.ts.peakRssBytes / MB) : null)),
    },
  };
}
