import { writeFile } from 'node:fs/promises';
import { DType } from '../../shared/artifact/schema.js';
import { loadDataset } from '../data/load.js';
import { chooseSplit, RANKING_SPLIT } from '../data/split.js';
import type { RatingsDataset } from '../data/types.js';
import { userItems } from '../eval/ranking.js';
import { serveAndMeasure } from '../export/artifact-builder.js';
import { buildRatingArtifact } from '../export/rating-artifact.js';
import { itemTagIndex, trainBpr } from '../models/bpr.js';
import { IALS_DEFAULTS, IalsSolver } from '../models/ials.js';
import { mfRatingKind } from '../pipeline/mf-kind.js';
import type { RatingKind } from '../pipeline/rating-kind.js';
import { svdppKind } from '../pipeline/train-svdpp.js';
import { bmfKind } from '../pipeline/train-bmf.js';
import { bprTensors } from '../pipeline/train-bpr.js';
import { carveVisitors, scoreImplicitFoldin, scoreRatingFoldin, searchBpr, searchIals, type BprSearch, type IalsSearch } from '../pipeline/tune-ranker.js';
import { useWasmBackend } from '../tf-node.js';
import { intOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run tune-ranker -- --what <ials|bpr|rating-foldin|bpr-foldin> --data <path> [options]

The searches behind the ranker's and the fold-ins' defaults. Each reads only the training rows of --split; the
validation rows (ials) or visitors (fold-ins: 20% of the users, out of training entirely) are carved from them,
seeded, so the split's test rows are never read.

  --what ials            grid over --dims x --alphas x --lambdas, --max-epochs each, validation nDCG@10 per epoch
                         (split default ranking-75-25; validation = 25% of each user's training rows)
                         --solver cholesky|cg (default cholesky), --cg-steps N (default 3)
  --what bpr             seeded random search over bpr's --lr x --reg (log-uniform; trial 0 = the defaults), --trials
                         draws, --max-epochs each (default 40), validation nDCG@10 every --eval-every epochs (default 5)
                         on the same carve as ials
  --what rating-foldin   --model mf|svdpp|bmf trained on the other users; RMSE of the visitors' held-out ratings after
                         folding 75% of theirs in, per --lambdas (split default random-80-20)
  --what bpr-foldin      bpr trained on the other users; nDCG@10 of the visitors' held-out items after an implicit
                         fold-in against bpr's item_factors, per --alphas x --lambdas (split default ranking-75-25)
  --seed <n>             default 42;  --out <file>  JSON to write (default tune-ranker-<what>.json)
`;

const solverOption = (v: string | undefined): IalsSolver => {
  if (v === undefined) return IALS_DEFAULTS.solver;
  if (!Object.values(IalsSolver).includes(v as IalsSolver)) throw new UsageError(`--solver must be cholesky or cg, got ${JSON.stringify(v)}`);
  return v as IalsSolver;
};

const list = (name: string, v: string | undefined, fallback: number[]) => {
  if (v === undefined) return fallback;
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !(x > 0))) throw new UsageError(`--${name} must be comma-separated positive numbers, got ${JSON.stringify(v)}`);
  return xs;
};

/** The validation searches behind the ials and bpr defaults (the test rows are never read). */
function search(what: 'ials' | 'bpr', ds: RatingsDataset, raw: Record<string, string | boolean | undefined>, seed: number): IalsSearch | BprSearch {
  const v = raw as Record<string, string | undefined>; // every option search reads is a string one
  const log = (s: string) => process.stdout.write(s + '\n');
  if (what === 'bpr') {
    return searchBpr(ds, {
      split: v.split ?? RANKING_SPLIT,
      seed,
      trials: intOption('trials', v.trials, 12, 0, 500),
      maxEpochs: intOption('max-epochs', v['max-epochs'], 40, 1, 1000),
      evalEvery: intOption('eval-every', v['eval-every'], 5, 1, 1000),
      log,
    });
  }
  return searchIals(ds, {
    split: v.split ?? RANKING_SPLIT,
    seed,
    dims: list('dims', v.dims, [64]),
    alphas: list('alphas', v.alphas, [1, 3, 10, 30]),
    lambdas: list('lambdas', v.lambdas, [1, 3, 10, 30, 100]),
    maxEpochs: intOption('max-epochs', v['max-epochs'], 15, 1, 200),
    fixed: { solver: solverOption(v.solver), cgSteps: intOption('cg-steps', v['cg-steps'], IALS_DEFAULTS.cgSteps, 1, 1000) },
    log,
  });
}

runCli(async () => {
  const { values: v } = parse(
    process.argv.slice(2),
    {
      what: { type: 'string' },
      data: { type: 'string' },
      model: { type: 'string', default: 'mf' },
      split: { type: 'string' },
      seed: { type: 'string' },
      dims: { type: 'string' },
      alphas: { type: 'string' },
      lambdas: { type: 'string' },
      'max-epochs': { type: 'string' },
      trials: { type: 'string' },
      solver: { type: 'string' },
      'cg-steps': { type: 'string' },
      'eval-every': { type: 'string' },
      out: { type: 'string' },
    },
    USAGE,
  );
  if (!v.data) throw new UsageError('--data is required (see --help)');
  const seed = intOption('seed', v.seed, 42, 0, 2 ** 31 - 1);
  const ds = await loadDataset(v.data);
  const log = (s: string) => process.stdout.write(s + '\n');
  let result: unknown;
  if (v.what === 'ials' || v.what === 'bpr') {
    result = search(v.what, ds, v, seed);
    log(`best: ${JSON.stringify((result as { best: unknown }).best)}`);
  } else if (v.what === 'rating-foldin') {
    const kind = ({ mf: mfRatingKind, svdpp: svdppKind, bmf: bmfKind } as Record<string, RatingKind<unknown>>)[v.model!];
    if (!kind) throw new UsageError(`--model must be mf, svdpp or bmf for rating-foldin, got ${JSON.stringify(v.model)}`);
    await useWasmBackend();
    const split = chooseSplit(ds, v.split ?? 'random-80-20', seed);
    const vis = carveVisitors(ds, split.train, 0.2, seed + 2);
    const fitted = await kind.fit(ds, vis.fit, kind.parse({}, seed), {});
    const { tensors } = fitted.artifact(DType.f32);
    const parts = await buildRatingArtifact({ kind: kind.kind, tensors, dataset: ds, trainRows: vis.fit, split: split.name, hyper: {}, quantization: DType.f32 });
    const lambdas = list('lambdas', v.lambdas, [0.1, 0.3, 1, 3, 10, 30]);
    const scores = await serveAndMeasure(parts, (served) => scoreRatingFoldin(ds, served, vis.given, vis.target, lambdas));
    for (const s of scores) log(`${kind.kind} rating fold-in lambda ${s.lambda}: visitors' RMSE ${s.rmse.toFixed(4)}`);
    const best = scores.reduce((a, b) => (b.rmse < a.rmse ? b : a));
    result = { model: kind.kind, split: split.name, seed, visitors: vis.users.length, given: vis.given.length, target: vis.target.length, scores, best };
    log(`best: ${JSON.stringify(best)}`);
  } else if (v.what === 'bpr-foldin') {
    await useWasmBackend();
    const split = chooseSplit(ds, v.split ?? RANKING_SPLIT, seed);
    const vis = carveVisitors(ds, split.train, 0.2, seed + 2);
    const nUsers = ds.userIds.length;
    const nItems = ds.itemIds.length;
    const { itemTags } = itemTagIndex(ds.itemMeta);
    const { params } = trainBpr(ds.ratings, vis.fit, userItems(ds.ratings, vis.fit, nUsers), nUsers, nItems, itemTags, { seed });
    const tensors = bprTensors(params, DType.f32, false);
    const parts = await buildRatingArtifact({ kind: 'bpr', tensors, dataset: ds, trainRows: vis.fit, split: split.name, hyper: {}, quantization: DType.f32 });
    const grid = list('alphas', v.alphas, [1, 3, 10, 30]).flatMap((alpha) => list('lambdas', v.lambdas, [0.1, 1, 10, 100]).map((lambda) => ({ alpha, lambda })));
    const scores = await serveAndMeasure(parts, (served) => scoreImplicitFoldin(ds, served, vis.given, vis.target, grid));
    for (const s of scores) log(`bpr implicit fold-in alpha ${s.alpha} lambda ${s.lambda}: visitors' nDCG@10 ${s.ndcg_at_10.toFixed(4)} P@10 ${s.precision_at_10.toFixed(4)}`);
    const best = scores.reduce((a, b) => (b.ndcg_at_10 > a.ndcg_at_10 ? b : a));
    result = { model: 'bpr', split: split.name, seed, visitors: vis.users.length, given: vis.given.length, target: vis.target.length, scores, best };
    log(`best: ${JSON.stringify(best)}`);
  } else {
    throw new UsageError(`--what must be ials, bpr, rating-foldin or bpr-foldin, got ${JSON.stringify(v.what)}`);
  }
  const out = v.out ?? `tune-ranker-${v.what}.json`;
  await writeFile(out, JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${out}`);
});
