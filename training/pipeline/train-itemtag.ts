import type { ItemsFile, Quantization } from '../../shared/artifact/schema.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { intOption, numberOption, UsageError } from '../options.js';
import { filterTags, splitPairs, tagListsOf, tagNamesOf, type PairSplit } from '../data/item-tag-dataset.js';
import { itemTagsFromRatings } from '../data/item-properties.js';
import { loadAny } from '../data/load.js';
import type { ItemTagDataset } from '../data/types.js';
import { cosineNeighbours, jaccardNeighbours, meanOverlap, overlapQueries, randomOthers, TAG_OVERLAP_DEFAULTS } from '../eval/tag-overlap.js';
import { buildArtifact, finishArtifact, serveAndMeasure, type BuiltArtifact } from '../export/artifact-builder.js';
import { indexOption, type IndexMode } from '../export/ivf-index.js';
import { ADAM_LR, ITEMTAG_DEFAULTS, trainItemTag, type ItemTagOptions, type ItemTagParams } from '../models/itemtag.js';
import { reportTail, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';

export interface TrainItemTagRequest {
  dataset: ItemTagDataset;
  /** 'random-<train>-<test>' holds out that share of the (item, tag) pairs (seeded); 'none' trains on all. */
  split: string;
  options: Partial<ItemTagOptions> & { seed: number };
  /** Keep tags on at least this many items (003 keeps links seen 3+ times). Default 1. */
  minTagCount?: number;
  /** Query items for tag overlap (a seeded sample). */
  evalQueries?: number;
  quantization: Quantization;
  out: string;
  log?: (line: string) => void;
  onEpoch?: (r: EpochReport) => void;
  /** Similar-items index (training/export/ivf-index.ts): auto (default), ivf or none. */
  index?: IndexMode;
}

/** 'random-80-20' -> 0.2; 'none' -> undefined. `what` names what is split, for the error message. */
export function testFractionOf(split: string, what: string): number | undefined {
  if (split === 'none') return undefined;
  const m = /^random-(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(split);
  if (!m || Math.abs(Number(m[1]) + Number(m[2]) - 100) > 1e-9 || Number(m[2]) <= 0 || Number(m[2]) >= 100) {
    throw new UsageError(`--split ${JSON.stringify(split)} does not apply to ${what}: use random-<train>-<test> (e.g. random-80-20) or none`);
  }
  return Number(m[2]) / 100;
}

export function itemTagItemsFile(ds: ItemTagDataset): ItemsFile {
  const names = tagNamesOf(ds);
  return {
    items: ds.itemIds.map((id, i) => ({ id, title: ds.itemTitles[i], tags: names[i] })),
    users: [],
    seen: { indptr: [0], indices: [] },
    tags: ds.tags,
  };
}

/** item_factors [N, d] and tag_factors [T, d]: one space, so item +/- tag arithmetic and tag similarity work. */
export function buildItemTagArtifact(
  p: ItemTagParams,
  ds: ItemTagDataset,
  hyper: Record<string, number | string | boolean>,
  quantization: Quantization,
  split: string,
): Promise<BuiltArtifact> {
  return buildArtifact({
    kind: 'itemtag',
    tensors: [
      { name: TENSOR_NAMES.itemFactors, data: p.itemFactors, shape: [p.nItems, p.dim], dtype: quantization },
      { name: TENSOR_NAMES.tagFactors, data: p.tagFactors, shape: [p.nTags, p.dim], dtype: quantization },
    ],
    hyper,
    quantization,
    counts: { users: 0, items: p.nItems, tags: p.nTags },
    dataset: { name: ds.name, fingerprint: ds.fingerprint, ratings: ds.pairs.item.length, split },
    items: itemTagItemsFile(ds),
  });
}

/** The tag sets, overlap queries and the measure of a neighbour function that the float and served models share. */
interface OverlapEval {
  key: string;
  k: number;
  queries: ReturnType<typeof overlapQueries>;
  overlap: (neighbours: Parameters<typeof meanOverlap>[3]) => number;
}

/** Train -> tag overlap vs random pairs -> encode -> tag overlap again on the decoded int8 artifact through shared/ -> write. */
export async function trainItemTagPipeline(req: TrainItemTagRequest): Promise<TrainReport> {
  const t0 = performance.now();
  const log = req.log ?? (() => {});
  const seed = req.options.seed;
  const { ds, split, dropped } = itemTagSplit(req, log);
  const nItems = ds.itemIds.length;

  const o: ItemTagOptions = { ...ITEMTAG_DEFAULTS, ...req.options };
  const tTrain = performance.now();
  const { params, epochs } = trainItemTag(
    { nItems, nTags: ds.tags.length, item: ds.pairs.item, tag: ds.pairs.tag, train: split.train, valid: split.test },
    o,
    { onEpoch: req.onEpoch },
  );
  const trainSeconds = (performance.now() - tTrain) / 1000;

  // Ground truth is every tag of an item, held-out ones included: neighbours should share those too.
  const tags = tagListsOf(nItems, ds.pairs.item, ds.pairs.tag);
  const k = TAG_OVERLAP_DEFAULTS.k;
  const queries = overlapQueries(tags, { maxQueries: req.evalQueries ?? TAG_OVERLAP_DEFAULTS.maxQueries, seed });
  const ev: OverlapEval = { key: `tag_overlap_at_${k}`, k, queries, overlap: (near) => meanOverlap(tags, ds.tags.length, queries, near) };
  const { metrics, baselines } = floatOverlap(ds, split, params, o, epochs, ev, seed);

  const hyper = { ...o, minTagCount: req.minTagCount ?? 1 } as unknown as Record<string, number | string | boolean>;
  const built = await buildItemTagArtifact(params, ds, hyper, req.quantization, split.name);
  // Re-measure what the Worker will serve: the encoded bytes, decoded and queried by shared/ on tfjs wasm.
  const quantOverlap = await serveAndMeasure(built, (served) => {
    const overlap = ev.overlap((i) => similarItems(served, i, k).map((s) => s.index));
    for (const q of queries.slice(0, 3)) {
      const near = similarItems(served, q, 5).map((s) => `${ds.itemTitles[s.index]} (${s.score.toFixed(2)})`);
      log(`  similar to ${ds.itemTitles[q]}: ${near.join(', ')}`);
    }
    return overlap;
  });
  const finished = await finishArtifact(built, {
    metrics: { float: metrics, quantized: { [ev.key]: quantOverlap }, baselines },
    training: { epochs, seconds: trainSeconds },
    index: req.index ?? 'auto',
    seed,
    out: req.out,
    log,
  });
  return {
    model: 'itemtag',
    dataset: {
      name: ds.name,
      items: nItems,
      tags: ds.tags.length,
      pairs: ds.pairs.item.length,
      train: split.train.length,
      test: split.test.length,
      dropped,
      queries: queries.length,
      fingerprint: ds.fingerprint,
    },
    split: split.name,
    hyper,
    metrics,
    baselines,
    quantized: { [ev.key]: quantOverlap, quantization: req.quantization },
    index: finished.index,
    ...reportTail({ sizes: finished.sizes, float32Bytes: built.float32Bytes, trainSeconds, t0, epochs, out: req.out }),
  };
}

/** The dataset with rare tags dropped, checked trainable, and its pairs split as --split says. */
function itemTagSplit(req: TrainItemTagRequest, log: (line: string) => void): { ds: ItemTagDataset; split: PairSplit; dropped: { tags: number; items: number } } {
  const filtered = filterTags(req.dataset, req.minTagCount ?? 1);
  const ds = filtered.dataset;
  if (filtered.droppedTags || filtered.droppedItems) {
    log(`kept tags on >= ${req.minTagCount ?? 1} items: dropped ${filtered.droppedTags} tags and ${filtered.droppedItems} items left without tags`);
  }
  const nItems = ds.itemIds.length;
  const nTags = ds.tags.length;
  if (nItems < 2 || nTags < 1) throw new UsageError(`${ds.name} has ${nItems} items with tags and ${nTags} tags: itemtag needs at least 2 items and 1 tag`);
  const nPairs = ds.pairs.item.length;
  // Rejection sampling of negatives needs room outside the positives.
  if (nPairs > 0.5 * nItems * nTags) {
    throw new UsageError(`${ds.name}: ${nPairs} of the ${nItems} x ${nTags} (item, tag) pairs are positive; random negatives need a sparser table (at most half)`);
  }
  const testFraction = testFractionOf(req.split, 'item-tag pairs');
  const all = Int32Array.from({ length: nPairs }, (_, p) => p);
  const split: PairSplit = testFraction === undefined
    ? { name: 'none', train: all, test: new Int32Array(0) }
    : splitPairs(nItems, nTags, ds.pairs.item, ds.pairs.tag, testFraction, req.options.seed, req.split);
  return { ds, split, dropped: { tags: filtered.droppedTags, items: filtered.droppedItems } };
}

/**
 * The float model's tag overlap against random neighbours and neighbours by Jaccard of the training tag sets; with
 * held-out pairs, the last epoch's validation loss and AUC against the best constant score.
 */
function floatOverlap(ds: ItemTagDataset, split: PairSplit, params: ItemTagParams, o: ItemTagOptions, epochs: EpochReport[], ev: OverlapEval, seed: number) {
  const nItems = ds.itemIds.length;
  const nTags = ds.tags.length;
  const overlap = ev.overlap(cosineNeighbours(params.itemFactors, nItems, o.dim, ev.k));
  const random = ev.overlap(randomOthers(nItems, ev.k, seed + 1));
  const last = epochs[epochs.length - 1];
  const metrics: Record<string, number> = { [ev.key]: overlap, [`${ev.key}_random`]: random };
  // The non-learned baseline: neighbours by Jaccard of the tag sets, seeing only the training pairs as the model did.
  const known = tagListsOf(nItems, Int32Array.from(split.train, (p) => ds.pairs.item[p]), Int32Array.from(split.train, (p) => ds.pairs.tag[p]));
  const byTags = ev.overlap(jaccardNeighbours(known, nTags, ev.k, seed + 2));
  const baselines: Record<string, Record<string, number>> = { random: { [ev.key]: random }, train_tags_jaccard: { [ev.key]: byTags } };
  if (last?.validLoss !== undefined) {
    metrics.valid_loss = last.validLoss;
    metrics.valid_auc = last.validAuc as number;
    // The best constant score is the mean label, (1 - r) / (1 + r); its squared error is 1 - mean^2.
    const meanLabel = (1 - o.negatives) / (1 + o.negatives);
    baselines.constant = { valid_loss: 1 - meanLabel * meanLabel, valid_auc: 0.5 };
  }
  return { metrics, baselines };
}

/** Itemtag options from the command line (shared with the probe, which may train an itemtag model on the fly). */
export function itemTagOptionsFrom(o: Record<string, string | boolean | undefined>, seed: number): Partial<ItemTagOptions> & { seed: number } {
  const optimizer = (o.optimizer as string | undefined) ?? ITEMTAG_DEFAULTS.optimizer;
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd for itemtag, got ${JSON.stringify(optimizer)}`);
  return {
    seed,
    optimizer,
    epochs: intOption('epochs', o.epochs as string | undefined, ITEMTAG_DEFAULTS.epochs, 1, 10_000),
    dim: intOption('dim', o.dim as string | undefined, ITEMTAG_DEFAULTS.dim, 1, 4096),
    lr: numberOption('lr', o.lr as string | undefined, optimizer === 'adam' ? ADAM_LR : ITEMTAG_DEFAULTS.lr, 1e-9, 10),
    batch: intOption('batch', o.batch as string | undefined, ITEMTAG_DEFAULTS.batch, 1, 1_000_000),
    negatives: numberOption('negatives', o.negatives as string | undefined, ITEMTAG_DEFAULTS.negatives, 0.01, 1000),
  };
}

export async function loadItemTags(path: string, format: string, log: (s: string) => void): Promise<ItemTagDataset> {
  const loaded = await loadAny(path, format);
  if (loaded.kind === 'itemtag') {
    const d = loaded.dataset;
    log(`${d.name} (${loaded.format}): ${d.itemIds.length} items, ${d.tags.length} tags, ${d.pairs.item.length} pairs`);
    return d;
  }
  const d = itemTagsFromRatings(loaded.dataset);
  log(`${d.name} (${loaded.format}, genres as tags): ${d.itemIds.length} items, ${d.tags.length} tags, ${d.pairs.item.length} pairs`);
  return d;
}

export const itemTagPipeline: ModelPipeline = {
  kind: 'itemtag',
  input: 'item-tags',
  // As notebooks 000/003 do: the embedding learns from every pair and tag-overlap is judged on the full tag sets;
  // --split random-80-20 holds pairs out and adds a held-out AUC (overlap then 4.6x random on Steam instead of 5.5x).
  defaultSplit: 'none',
  defaultEpochs: ITEMTAG_DEFAULTS.epochs,
  summary: 'item and tag embeddings in one space: cosine of (item, tag), true pairs 1 vs random pairs -1, MSE (notebooks 000, 003)',
  options: {
    lr: { type: 'string', help: `step size (default ${ITEMTAG_DEFAULTS.lr} for sgd, ${ADAM_LR} for adam)` },
    optimizer: { type: 'string', help: `sgd (per sample) or adam (row-wise moments, mini-batches) (default ${ITEMTAG_DEFAULTS.optimizer})` },
    batch: { type: 'string', help: `positive pairs per adam mini-batch (default ${ITEMTAG_DEFAULTS.batch}; 000 uses 1024, 003 512)` },
    negatives: { type: 'string', help: `random negative pairs per positive (default ${ITEMTAG_DEFAULTS.negatives}; 003 uses 10)` },
    'min-tag-count': { type: 'string', help: 'keep tags on at least this many items (default 1; 003 keeps links seen 3+ times)' },
    'eval-queries': { type: 'string', help: `query items for tag overlap, a seeded sample (default ${TAG_OVERLAP_DEFAULTS.maxQueries})` },
  },
  async run(req) {
    const o = req.options;
    const dataset = await loadItemTags(req.data, req.format, req.log);
    return trainItemTagPipeline({
      dataset,
      split: req.split,
      options: itemTagOptionsFrom(o, req.seed),
      minTagCount: intOption('min-tag-count', o['min-tag-count'] as string | undefined, 1, 1, 1e9),
      evalQueries: intOption('eval-queries', o['eval-queries'] as string | undefined, TAG_OVERLAP_DEFAULTS.maxQueries, 1, 1e9),
      quantization: req.quantization,
      out: req.out,
      log: req.log,
      onEpoch: req.onEpoch,
      index: indexOption(o.index),
    });
  },
};
