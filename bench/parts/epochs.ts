// Part 6b: the mf SGD epoch (64 factors, ml-100k u1) of training/models/mf.ts (WebAssembly SIMD kernel) beside the
// plain TypeScript loop it replaced (bench/lib/mf-baseline.ts), alternated in one process on the same rows, seed
// and settings, each with its test RMSE after the same epochs. Target: the kernel's median epoch <= 0.5x the loop's.
import { existsSync } from 'node:fs';
import { loadDataset } from '../../training/data/load.js';
import { chooseSplit } from '../../training/data/split.js';
import { clip, rmse } from '../../training/eval/metrics.js';
import { MF_DEFAULTS, predictMf, trainMf, type MfParams } from '../../training/models/mf.js';
import type { BenchContext, Part, PartResult } from '../lib/context.js';
import { trainMfBaseline } from '../lib/mf-baseline.js';
import { median, relativeSpread, sig } from '../lib/stats.js';
import { ML100K } from './quantization.js';

const TARGET = 0.5;
const DIM = 64;

export const epochsPart: Part = {
  name: 'epochs',
  title: `mf SGD epoch, ${DIM} factors, ml-100k u1: WebAssembly SIMD kernel vs the TypeScript loop it replaced (target <= ${TARGET}x)`,
  async run(ctx: BenchContext): Promise<PartResult> {
    if (!existsSync(ML100K)) return { name: 'epochs', tables: [], data: {}, notes: [`skipped: ${ML100K} is absent (npm run download-ml100k)`] };
    const ds = await loadDataset(ML100K);
    const split = chooseSplit(ds, 'u1', 42);
    const epochs = ctx.quick ? 10 : MF_DEFAULTS.epochs;
    const reps = ctx.quick ? 2 : 3;
    const options = { dim: DIM, epochs, seed: 42 };
    const truth = Float32Array.from(split.test, (r) => ds.ratings.rating[r]);
    const testRmse = (p: MfParams) => rmse(Float32Array.from(split.test, (r) => clip(predictMf(p, ds.ratings.user[r], ds.ratings.item[r]), ds.ratingRange)), truth);
    const loop: number[] = [];
    const kernel: number[] = [];
    let loopRmse = NaN;
    let kernelRmse = NaN;
    // Alternated, so that load from elsewhere on the machine falls on both alike.
    for (let rep = 0; rep < reps; rep++) {
      const a = trainMfBaseline(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length, options);
      loop.push(...a.seconds);
      loopRmse = testRmse(a.params);
      const b = trainMf(ds.ratings, split.train, ds.userIds.length, ds.itemIds.length, options);
      kernel.push(...b.epochs.map((e) => e.seconds));
      kernelRmse = testRmse(b.params);
      ctx.log(`  rep ${rep + 1}/${reps}: loop ${sig(median(a.seconds))} s/epoch, kernel ${sig(median(b.epochs.map((e) => e.seconds)))} s/epoch`);
    }
    const ratio = median(kernel) / median(loop);
    const row = (name: string, s: number[], q: number) => [name, sig(median(s)), sig(relativeSpread(s)), epochs, sig(q)];
    return {
      name: 'epochs',
      tables: [
        {
          title: `mf epoch (${DIM} factors, u1, ${epochs} epochs x ${reps} runs each, alternated): ratio ${sig(ratio)} (target <= ${TARGET})`,
          headers: ['trainer', 's/epoch (median)', 'spread', 'epochs', 'u1 test RMSE'],
          rows: [row('TypeScript loop (before)', loop, loopRmse), row('WebAssembly SIMD kernel (mf.ts)', kernel, kernelRmse)],
          notes: ['Same rows, seed, shuffle order and settings (MF_DEFAULTS, dim 64); the kernel computes in f32 lanes, the loop in f64 with f32 tables.'],
        },
      ],
      data: { epochs, reps, loop: { median: median(loop), seconds: loop, rmse: loopRmse }, kernel: { median: median(kernel), seconds: kernel, rmse: kernelRmse }, ratio },
      summary: { mf_epoch_ratio: sig(ratio), mf_epoch_seconds: sig(median(kernel)) },
    };
  },
};
