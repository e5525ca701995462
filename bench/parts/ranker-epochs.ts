// Part: the standalone ranker's epoch (`--model ials`: iALS with conjugate-gradient half steps) beside today's bpr
// trainer (bench/lib/bpr-baseline.ts, the loop as it was before this part existed), at the same vector widths,
// on ml-100k ranking-75-25 (seed 42), timed side by side in this process, with the quality each reaches after its
// default epochs. Target: the ranker's epoch <= 0.35x today's bpr epoch.
import { existsSync } from 'node:fs';
import { loadDataset } from '../../training/data/load.js';
import { chooseSplit, RANKING_SPLIT } from '../../training/data/split.js';
import type { RatingsDataset } from '../../training/data/types.js';
import { dotScorer, evaluateRanking, userItems, type UserItems } from '../../training/eval/ranking.js';
import { BPR_DEFAULTS, bprFactors, itemTagIndex } from '../../training/models/bpr.js';
import type { EpochReport } from '../../training/models/epoch-report.js';
import { IALS_STANDALONE, trainIals, type IalsOptions } from '../../training/models/ials.js';
import { trainBpr as trainBprBefore } from '../lib/bpr-baseline.js';
import type { BenchContext, Part, PartResult } from '../lib/context.js';
import { median, sig } from '../lib/stats.js';
import type { Table } from '../lib/table.js';
import { ML100K } from './quantization.js';

export const RANKER_EPOCH_TARGET = 0.35;

interface Trainer {
  name: string;
  /** Trains `epochs` epochs; returns the per-epoch reports and the float model's ranking figures on the test rows. */
  train(epochs: number, rank: boolean, onEpoch?: () => void): { epochs: EpochReport[]; metrics?: Record<string, number> };
  /** Epoch reports that are a steady-state epoch (iALS's last epoch adds an exact user step). */
  steady(epochs: EpochReport[]): EpochReport[];
  defaultEpochs: number;
}

interface Data {
  ds: RatingsDataset;
  train: Int32Array;
  seen: UserItems;
  test: UserItems;
  itemTags: UserItems;
}

function trainers(data: Data, width: number, exactToo: boolean): Trainer[] {
  const { ds, train, seen, test, itemTags } = data;
  const nUsers = ds.userIds.length;
  const nItems = ds.itemIds.length;
  const rankOf = (u: Float32Array, i: Float32Array, d: number) => evaluateRanking(dotScorer(u, i, d), seen, test, nItems);
  // bpr's own split of a width between item and tag embeddings (125 + 25 at its default 150).
  const tagDim = Math.round(width / 6);
  const bpr: Trainer = {
    name: `bpr today (${width - tagDim} + ${tagDim} tags)`,
    defaultEpochs: BPR_DEFAULTS.epochs,
    steady: (e) => e,
    train(epochs, rank, onEpoch) {
      const r = trainBprBefore(ds.ratings, train, seen, nUsers, nItems, itemTags, { itemDim: width - tagDim, tagDim, epochs }, { onEpoch });
      if (!rank) return { epochs: r.epochs };
      const f = bprFactors(r.params);
      return { epochs: r.epochs, metrics: rankOf(f.userFactors, f.itemFactors, f.dim) };
    },
  };
  const ials = (name: string, o: IalsOptions): Trainer => ({
    name,
    defaultEpochs: o.epochs,
    steady: (e) => (o.solver === 'cg' && e.length > 1 ? e.slice(0, -1) : e),
    train(epochs, rank, onEpoch) {
      const r = trainIals(ds.ratings, train, nUsers, nItems, { ...o, dim: width, epochs }, { onEpoch });
      return { epochs: r.epochs, metrics: rank ? rankOf(r.params.userFactors, r.params.itemFactors, width) : undefined };
    },
  });
  const out = [bpr, ials('ials kind (CG, 2 steps)', IALS_STANDALONE)];
  if (exactToo) out.push(ials('ials exact (Cholesky; rating kinds\' ranker)', { ...IALS_STANDALONE, solver: 'cholesky' }));
  return out;
}

interface Row {
  width: number;
  trainer: string;
  epochSeconds: number;
  ratio: number | null;
  cpuSeconds: number;
  cpuRatio: number | null;
  epochs: number;
  trainSeconds: number;
  metrics: Record<string, number>;
}

const cpuSeconds = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/**
 * Interleaved timing: every round runs each trainer for 4 epochs in turn, so load drifts hit them alike. Wall: the
 * epochs' own seconds; CPU: this process's CPU time between consecutive epoch ends (no per-epoch measuring runs
 * here), which a shared machine's load inflates far less than wall time. Both leave out epoch 1 (it starts from the
 * initial weights) and, for a trainer whose last epoch differs (`steady`), that one.
 */
function timeInterleaved(list: Trainer[], rounds: number): { wall: number; cpu: number }[] {
  const wall: number[][] = list.map(() => []);
  const cpu: number[][] = list.map(() => []);
  for (let round = 0; round < rounds; round++) {
    list.forEach((t, k) => {
      const ends: number[] = [];
      const { epochs } = t.train(4, false, () => ends.push(cpuSeconds()));
      const steady = new Set(t.steady(epochs).map((e) => e.epoch));
      for (const e of epochs) {
        if (e.epoch === 1 || !steady.has(e.epoch)) continue;
        wall[k].push(e.seconds);
        cpu[k].push(ends[e.epoch - 1] - ends[e.epoch - 2]);
      }
    });
  }
  return list.map((_, k) => ({ wall: median(wall[k]), cpu: median(cpu[k]) }));
}

async function measureWidth(ctx: BenchContext, data: Data, width: number): Promise<Row[]> {
  const list = trainers(data, width, width <= 64);
  const timed = timeInterleaved(list, ctx.quick ? 2 : 5);
  return list.map((t, k) => {
    const epochs = ctx.quick ? Math.min(t.defaultEpochs, 5) : t.defaultEpochs;
    const run = t.train(epochs, true);
    const row: Row = {
      width,
      trainer: t.name,
      epochSeconds: sig(timed[k].wall),
      ratio: k === 0 ? null : sig(timed[k].wall / timed[0].wall),
      cpuSeconds: sig(timed[k].cpu),
      cpuRatio: k === 0 ? null : sig(timed[k].cpu / timed[0].cpu),
      epochs,
      trainSeconds: sig(run.epochs.reduce((s, e) => s + e.seconds, 0)),
      metrics: run.metrics ?? {},
    };
    const vs = row.ratio === null ? '' : ` (${row.ratio}x bpr; CPU ${row.cpuRatio}x)`;
    ctx.log(`  width ${width} ${t.name}: ${row.epochSeconds} s/epoch, CPU ${row.cpuSeconds} s${vs}, ndcg@10 ${row.metrics.ndcg_at_10?.toFixed(4)}`);
    return row;
  });
}

export const rankerEpochsPart: Part = {
  name: 'ranker-epochs',
  title: 'Ranker epochs: the ials kind beside today\'s bpr trainer, same widths, ml-100k ranking-75-25',
  async run(ctx: BenchContext): Promise<PartResult> {
    const notes: string[] = [];
    const rows: Row[] = [];
    if (!existsSync(ML100K)) notes.push(`skipped: ${ML100K} is absent.`);
    else {
      const ds = await loadDataset(ML100K);
      const split = chooseSplit(ds, RANKING_SPLIT, 42);
      const nUsers = ds.userIds.length;
      const data: Data = { ds, train: split.train, seen: userItems(ds.ratings, split.train, nUsers), test: userItems(ds.ratings, split.test, nUsers), itemTags: itemTagIndex(ds.itemMeta).itemTags };
      for (const width of ctx.quick ? [32] : [32, 150]) rows.push(...(await measureWidth(ctx, data, width)));
    }
    const against = (x: number | null) => (x === null ? '1' : `${x}${x <= RANKER_EPOCH_TARGET ? '' : ' (over target)'}`);
    const f = (m: Record<string, number>, k: string) => (m[k] === undefined ? null : m[k].toFixed(4));
    const table: Table = {
      title: 'Ranker epochs: seconds per epoch side by side, and the quality each reaches (ml-100k ranking-75-25, seed 42)',
      headers: ['width', 'trainer', 's/epoch', 'x bpr', 'CPU s/epoch', 'x bpr (CPU)', 'epochs', 'train s', 'nDCG@10', 'P@10', 'AUC'],
      rows: rows.map((r) => [r.width, r.trainer, r.epochSeconds, against(r.ratio), r.cpuSeconds, against(r.cpuRatio), r.epochs, r.trainSeconds, f(r.metrics, 'ndcg_at_10'), f(r.metrics, 'precision_at_10'), f(r.metrics, 'auc')]),
      notes: [
        `s/epoch (wall) and CPU s/epoch (this process's CPU time per epoch): medians over ${ctx.quick ? 2 : 5} interleaved rounds of 4 epochs per trainer, epoch 1 left out, and for iALS CG its last epoch too (it adds the exact user step that keeps fold-in exact; counted in "train s"). Target: the ials kind <= ${RANKER_EPOCH_TARGET}x today's bpr at the same width.`,
        "bpr today = bench/lib/bpr-baseline.ts (training/models/bpr.ts's loop before it moved onto runEpochs; same arithmetic), its defaults but the width; width = the user/item vector length (bpr: item + tag embeddings).",
        `Quality: float model after each trainer's default epochs (bpr ${BPR_DEFAULTS.epochs}, ials ${IALS_STANDALONE.epochs}${ctx.quick ? '; --quick: at most 5' : ''}) on the split's test rows; train s = the sum of those epochs.`,
        ...notes,
      ],
    };
    const ratios: Record<string, number> = {};
    const cpuRatios: Record<string, number> = {};
    for (const r of rows) {
      if (r.ratio === null || r.cpuRatio === null || !r.trainer.startsWith('ials kind')) continue;
      ratios[String(r.width)] = r.ratio;
      cpuRatios[String(r.width)] = r.cpuRatio;
    }
    return { name: 'ranker-epochs', tables: [table], data: { rows }, summary: { ranker_epoch_ratio_vs_bpr: ratios, ranker_epoch_cpu_ratio_vs_bpr: cpuRatios }, notes };
  },
};
