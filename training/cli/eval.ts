import type { DecodedArtifact } from '../../shared/artifact/decode.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { predictRatings } from '../../shared/model/queries.js';
import { scoreAllItems } from '../../shared/model/score-all.js';
import { loadDataset } from '../data/load.js';
import { chooseSplit, RANKING_SPLIT, USERS_SPLIT } from '../data/split.js';
import type { Ratings, RatingsDataset } from '../data/types.js';
import { biasBaseline, globalMeanBaseline } from '../eval/baselines.js';
import { mae, rmse } from '../eval/metrics.js';
import { evaluateFoldIn, FOLDIN_GIVEN, foldInOverlap } from '../eval/foldin.js';
import { evaluateRanking, mostPopularScorer, userItems } from '../eval/ranking.js';
import { readArtifact } from '../export/artifact-files.js';
import { useWasmBackend } from '../tf-node.js';
import { intOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run eval -- --artifact <dir> --data <dir-or-file> [--split S] [--seed N] [--json]

Re-evaluates an artifact (as the Worker would score it: decoded and loaded through shared/ on tfjs wasm) on a
split of a dataset. Rating models (with a rating range) get rmse and mae against the global-mean and bias
baselines; rankers, and every model on ${RANKING_SPLIT}, get auc and precision/recall/ndcg/map at 10 against
most-popular. --split and --seed default to what the artifact was trained with.

On ${USERS_SPLIT} (users held out of training entirely: train with --split ${USERS_SPLIT}) it measures fold-in
instead, as the Worker folds a visitor in: each held-out user's ratings shuffled, ${FOLDIN_GIVEN.join(', ')} of them given,
the rest predicted (rmse against the bias-only model that saw the same ratings) and ranked (ndcg/precision at 10
and auc against most-popular); plus the overlap of a training user's top-10 with the top-10 of folding in their
own items.

  --artifact <dir>        artifact folder (manifest.json, tensors.bin, items.json); required
  --data <dir-or-file>    dataset to evaluate on; required
  --split <S>             random-80-20, ${RANKING_SPLIT}, ${USERS_SPLIT} or an official fold u1..u5, ua, ub (default: the artifact's split)
  --seed <N>              seed of a random split (default: the artifact's seed)
  --json                  print the result as one JSON line on stdout
`;

runCli(async () => {
  const { values: v } = parse(
    process.argv.slice(2),
    { artifact: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (!v.artifact) throw new UsageError('--artifact is required: a folder with manifest.json, tensors.bin and items.json');
  if (!v.data) throw new UsageError('--data is required: the dataset to evaluate on (see --help)');
  const log = (s: string) => (v.json ? process.stderr : process.stdout).write(s + '\n');
  const [artifact, ds] = await Promise.all([readArtifact(v.artifact), loadDataset(v.data)]);
  const m = artifact.manifest;
  const seed = intOption('seed', v.seed, Number(m.model.hyper.seed ?? 42), 0, 2 ** 31 - 1);
  const splitName = v.split ?? m.dataset.split;
  if (ds.fingerprint !== m.dataset.fingerprint) log(`note: ${ds.name} is not the dataset this artifact was trained on (fingerprints differ)`);
  else if (m.refit === 'all') {
    log(`note: the artifact was refit on every row of ${ds.name} (manifest.refit "all"): its test rows are among its training rows, so these figures are not held out; the manifest's metrics are the split model's (train with --refit none to re-measure one)`);
  } else if (splitName !== m.dataset.split || seed !== Number(m.model.hyper.seed ?? 42)) {
    log(`note: the artifact was trained on split ${m.dataset.split} (seed ${m.model.hyper.seed ?? 42}); test rows of ${splitName} may be among its training rows`);
  }
  await useWasmBackend();
  const model = loadModel('eval', 'eval', artifact);
  try {
    if (splitName === USERS_SPLIT) {
      const split = chooseSplit(ds, splitName, seed);
      const rows = evaluateFoldIn(model, ds, split, seed);
      const overlap = foldInOverlap(model);
      const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));
      log(`${m.model.kind} artifact on ${ds.name} (${splitName}): fold-in of ${rows[0]?.users ?? 0} held-out users`);
      log('given  users  rmse    bias_rmse  ndcg@10  popular  p@10    popular  auc');
      for (const r of rows) {
        log([String(r.given).padEnd(7), String(r.users).padEnd(7), f(r.rmse).padEnd(8), f(r.bias_rmse).padEnd(11), f(r.ndcg_at_10).padEnd(9), f(r.popular_ndcg_at_10).padEnd(9), f(r.precision_at_10).padEnd(8), f(r.popular_precision_at_10).padEnd(9), f(r.auc)].join(''));
      }
      log(`top-10 overlap, trained vector vs folding in the user's own items: ${overlap.overlap_at_10.toFixed(3)} over ${overlap.users} users`);
      if (v.json) process.stdout.write(JSON.stringify({ model: m.model.kind, artifact: v.artifact, dataset: ds.name, split: splitName, foldin: rows, overlap }) + '\n');
      return;
    }
    const report = { model: m.model.kind, artifact: v.artifact, dataset: ds.name, split: splitName, ...evaluate(model, artifact, ds, splitName, seed) };
    const f = (x: Record<string, number>) => Object.entries(x).map(([k, n]) => `${k} ${n.toFixed(4)}`).join('  ');
    log(`${report.model} artifact on ${ds.name} (${splitName}): ${f(report.metrics)}`);
    for (const [name, b] of Object.entries(report.baselines)) log(`  baseline ${name}: ${f(b)}`);
    if (v.json) process.stdout.write(JSON.stringify(report) + '\n');
  } finally {
    model.dispose();
  }
});

function evaluate(model: LoadedModel, artifact: DecodedArtifact, ds: RatingsDataset, splitName: string, seed: number) {
  const m = artifact.manifest;
  const split = chooseSplit(ds, splitName, seed);
  // The artifact's indices, not the dataset's: rows whose user or item the artifact lacks are left out.
  const itemOf = Int32Array.from(ds.itemIds, (id) => (model.items.has(id) ? model.items.indexOf(id, 'eval') : -1));
  const userOf = Int32Array.from(ds.userIds, (id) => (model.users.has(id) ? model.users.indexOf(id, 'eval') : -1));
  const mapped: Ratings = {
    user: Int32Array.from(ds.ratings.user, (u) => userOf[u]),
    item: Int32Array.from(ds.ratings.item, (i) => itemOf[i]),
    rating: ds.ratings.rating,
  };
  const known = (rows: Int32Array) => rows.filter((r) => mapped.user[r] >= 0 && mapped.item[r] >= 0);
  const train = known(split.train);
  const test = known(split.test);
  if (test.length === 0) throw new UsageError(`no test rating of ${ds.name} (${splitName}) has a user and an item the artifact knows`);
  const metrics: Record<string, number> = {};
  const baselines: Record<string, Record<string, number>> = {};
  if (m.ratingRange) {
    const truth = Float32Array.from(test, (r) => mapped.rating[r]);
    const pred = predictRatings(model, Int32Array.from(test, (r) => mapped.user[r]), Int32Array.from(test, (r) => mapped.item[r]));
    Object.assign(metrics, { rmse: rmse(pred, truth), mae: mae(pred, truth) });
    for (const [name, fit] of [['global_mean', globalMeanBaseline(mapped, train)], ['bias', biasBaseline(mapped, train, model.users.size, model.items.size)]] as const) {
      const p = Float32Array.from(test, (r) => Math.min(m.ratingRange![1], Math.max(m.ratingRange![0], fit(mapped.user[r], mapped.item[r]))));
      baselines[name] = { rmse: rmse(p, truth), mae: mae(p, truth) };
    }
  }
  if (!m.ratingRange || split.name === RANKING_SPLIT) {
    const nItems = model.items.size;
    const seen = userItems(mapped, train, model.users.size);
    const held = userItems(mapped, test, model.users.size);
    Object.assign(metrics, evaluateRanking((users, out) => out.set(scoreAllItems(model, users)), seen, held, nItems));
    baselines.most_popular = evaluateRanking(mostPopularScorer(mapped, train, nItems), seen, held, nItems);
  }
  return { metrics, baselines, recorded: m.metrics, rows: { train: train.length, test: test.length } };
}
