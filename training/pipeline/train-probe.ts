import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeF16, encodeF16 } from '../../shared/artifact/f16.js';
import { dequantizeQ8, quantizeQ8 } from '../../shared/artifact/q8.js';
import { TENSOR_NAMES } from '../../shared/model/loaded.js';
import { intOption, numberOption, UsageError } from '../options.js';
import { filterTags } from '../data/item-tag-dataset.js';
import { ratingItemProperties } from '../data/item-properties.js';
import { loadAny } from '../data/load.js';
import { createRng, shuffleInPlace } from '../data/random.js';
import { readArtifact } from '../export/artifact-files.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import { trainItemTag } from '../models/itemtag.js';
import { MF_DEFAULTS, trainMf } from '../models/mf.js';
import { fitRidge, predictRidge } from '../models/probe.js';
import { medianSeconds, type EpochReport, type ModelPipeline, type TrainReport } from './kinds.js';
import { itemTagOptionsFrom, testFractionOf } from './train-itemtag.js';

/** Item vectors by original id, from an artifact or trained on the fly. */
export interface ItemVectors {
  ids: string[];
  dim: number;
  /** [ids.length, dim], row-major. */
  data: Float32Array;
  /** Where they came from, for the report. */
  source: string;
  /** Storage format they were read from (artifact) or will be stored in (on the fly). */
  dtype: string;
}

export interface ProbeRequest {
  vectors: ItemVectors;
  /** Property per original item id (NaN or absent: unknown, skipped). */
  target: { name: string; values: Map<string, number> };
  testFraction: number;
  ridge: number;
  seed: number;
}

function unitRows(data: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let f = 0; f < dim; f++) ss += data[r * dim + f] ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let f = 0; f < dim; f++) out[r * dim + f] = data[r * dim + f] * inv;
  }
  return out;
}

/**
 * 003's probe: a linear map from the unit-length item vectors to an item property, fitted on a seeded random share
 * of the items with a known value and scored by MSE on the rest, against predicting the training mean.
 */
export function runProbe(req: ProbeRequest) {
  const { vectors, target } = req;
  const dim = vectors.dim;
  const rows: number[] = [];
  const y = new Float64Array(vectors.ids.length).fill(NaN);
  vectors.ids.forEach((id, r) => {
    const v = target.values.get(id);
    if (v !== undefined && Number.isFinite(v)) {
      y[r] = v;
      rows.push(r);
    }
  });
  const nTest = Math.round(rows.length * req.testFraction);
  if (rows.length - nTest < 2 || nTest < 1) {
    throw new UsageError(`only ${rows.length} items have a ${target.name} value: too few to fit and test a probe`);
  }
  shuffleInPlace(rows, createRng(req.seed));
  const test = Int32Array.from(rows.slice(0, nTest)).sort();
  const train = Int32Array.from(rows.slice(nTest)).sort();
  const X = unitRows(vectors.data, vectors.ids.length, dim);
  const model = fitRidge(X, dim, y, train, req.ridge);
  let mean = 0;
  for (const r of train) mean += y[r];
  mean /= train.length;
  let se = 0, ae = 0, seMean = 0, aeMean = 0, testMean = 0;
  for (const r of test) testMean += y[r] / test.length;
  let ssTot = 0;
  for (const r of test) {
    const e = predictRidge(model, X, dim, r) - y[r];
    se += e * e;
    ae += Math.abs(e);
    seMean += (mean - y[r]) ** 2;
    aeMean += Math.abs(mean - y[r]);
    ssTot += (y[r] - testMean) ** 2;
  }
  return {
    items: { with_target: rows.length, train: train.length, test: test.length, without_target: vectors.ids.length - rows.length },
    // r2 against the test set's own variance; undefined (left out) when the test values are all equal.
    metrics: { mse: se / test.length, mae: ae / test.length, ...(ssTot > 0 ? { r2: 1 - se / ssTot } : {}) } as Record<string, number>,
    baselines: { mean: { mse: seMean / test.length, mae: aeMean / test.length } },
  };
}

/** The vectors as the Worker would hold them after storing them as `q`. */
function roundTrip(v: ItemVectors, q: Quantization): Float32Array {
  const rows = v.ids.length;
  if (q === 'q8') return dequantizeQ8(quantizeQ8(v.data, rows, v.dim), rows, v.dim);
  if (q === 'f16') return decodeF16(encodeF16(v.data));
  return v.data;
}

async function vectorsFromArtifact(dir: string): Promise<ItemVectors> {
  const a = await readArtifact(dir);
  const t = a.tensors.get(TENSOR_NAMES.itemFactors);
  if (!t || t.shape.length !== 2) throw new UsageError(`--artifact ${dir} has no 2-D ${TENSOR_NAMES.itemFactors} tensor to probe`);
  return { ids: a.items.items.map((m) => m.id), dim: t.shape[1], data: t.data, source: `artifact ${dir} (${a.manifest.model.kind})`, dtype: t.dtype };
}

export const probePipeline: ModelPipeline = {
  kind: 'probe',
  input: 'artifact',
  summary: 'linear (ridge) probe from item embeddings to an item property vs the mean, MSE on held-out items (003); writes <out>/probe-report.json, no artifact',
  options: {
    artifact: { type: 'string', help: 'probe the item_factors of this artifact folder (default: train itemtag, or mf on ratings, on --data first)' },
    target: { type: 'string', help: 'item property to predict, e.g. positive_ratio, release_year, price (Steam), rotten_tomatoes (links), mean_rating (ratings)' },
    ridge: { type: 'string', help: 'L2 weight of the probe (default 1; 0 is plain least squares as in 003)' },
  },
  async run(req) {
    const t0 = performance.now();
    const o = req.options;
    const loaded = await loadAny(req.data, req.format);
    const props = loaded.kind === 'itemtag' ? loaded.dataset.properties : ratingItemProperties(loaded.dataset);
    const names = Object.keys(props);
    const targetName = o.target as string | undefined;
    if (!targetName || !(targetName in props)) {
      const what = targetName ? `--target ${JSON.stringify(targetName)} is not a property of ${loaded.dataset.name}` : '--target is required';
      throw new UsageError(`${what}; choose one of ${names.length ? names.join(', ') : '(none: this format carries no item properties)'}`);
    }
    const values = new Map<string, number>();
    loaded.dataset.itemIds.forEach((id, i) => values.set(id, props[targetName][i]));

    let vectors: ItemVectors;
    let epochs: EpochReport[] = [];
    const tTrain = performance.now();
    if (o.artifact) {
      vectors = await vectorsFromArtifact(o.artifact as string);
    } else if (loaded.kind === 'itemtag') {
      const ds = filterTags(loaded.dataset, 1).dataset;
      const all = Int32Array.from({ length: ds.pairs.item.length }, (_, p) => p);
      const opts = itemTagOptionsFrom(o, req.seed);
      const trained = trainItemTag({ nItems: ds.itemIds.length, nTags: ds.tags.length, item: ds.pairs.item, tag: ds.pairs.tag, train: all }, opts, { onEpoch: req.onEpoch });
      epochs = trained.epochs;
      vectors = { ids: ds.itemIds, dim: trained.params.dim, data: trained.params.itemFactors, source: 'itemtag trained on every pair', dtype: 'f32' };
    } else {
      const ds = loaded.dataset;
      const all = Int32Array.from({ length: ds.ratings.rating.length }, (_, r) => r);
      const dim = intOption('dim', o.dim as string | undefined, MF_DEFAULTS.dim, 1, 4096);
      const trained = trainMf(ds.ratings, all, ds.userIds.length, ds.itemIds.length, {
        seed: req.seed, dim, epochs: intOption('epochs', o.epochs as string | undefined, MF_DEFAULTS.epochs, 1, 10_000),
      }, { onEpoch: req.onEpoch });
      epochs = trained.epochs;
      vectors = { ids: ds.itemIds, dim, data: trained.params.itemFactors, source: 'mf trained on every rating', dtype: 'f32' };
    }
    const trainSeconds = (performance.now() - tTrain) / 1000;
    const testFraction = testFractionOf(req.split, 'the probe (it splits items)');
    if (testFraction === undefined) throw new UsageError('--split none leaves the probe nothing to test on: use random-<train>-<test>');
    const ridge = numberOption('ridge', o.ridge as string | undefined, 1, 0, 1e9);
    const probe = { target: { name: targetName, values }, testFraction, ridge, seed: req.seed };
    const result = runProbe({ ...probe, vectors });
    // Vectors from an artifact are already what the Worker serves; fresh ones are scored again after a storage round trip.
    const served = o.artifact ? result : runProbe({ ...probe, vectors: { ...vectors, data: roundTrip(vectors, req.quantization) } });
    const report: TrainReport = {
      model: 'probe',
      dataset: { name: loaded.dataset.name, format: loaded.format, fingerprint: loaded.dataset.fingerprint, vectors: vectors.source, ...result.items },
      split: req.split,
      hyper: { target: targetName, ridge, dim: vectors.dim },
      metrics: result.metrics,
      baselines: result.baselines,
      quantized: { ...served.metrics, quantization: o.artifact ? vectors.dtype : req.quantization },
      bytes: { artifact: 0, catalog: 0, float32: 0, files: 0 },
      seconds: { train: trainSeconds, total: (performance.now() - t0) / 1000, epoch_median: medianSeconds(epochs) },
      epochs,
      out: req.out,
      report_file: join(req.out, 'probe-report.json'),
    };
    // No artifact: the report itself is the output (the CLI's --out is required for every kind).
    await mkdir(req.out, { recursive: true });
    await writeFile(report.report_file as string, JSON.stringify(report, null, 2));
    return report;
  },
};
