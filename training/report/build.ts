import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Manifest } from '../../shared/artifact/schema.js';
import { loadModel, normalizeRows, TENSOR_NAMES, type LoadedModel } from '../../shared/model/loaded.js';
import type { RatingsDataset } from '../data/types.js';
import { readArtifactDir } from './artifact-dir.js';
import { useWasmBackend } from '../tf-node.js';
import { cosineHistogram, epochMetricNames, epochMetricsChart, lossChart, mapChart, OTHER, ratingHistogram, scatterChart } from './charts.js';
import { chartBlock, factsList, metricsTable, note, page, section, similarTablesHtml } from './html.js';
import { pcaMap, tsneMap, umapMap, type ItemMap, type MapInput } from './maps.js';
import { isExplicit, predictTestSplit, type TestPredictions } from './predictions.js';
import { mostRated, nearestCosines, randomPairCosines, showcaseItems, similarTables, trainCounts } from './similarity.js';

import { onlineSection, readOnlineMetrics, type OnlineMetrics } from './online.js';

export interface ReportOptions {
  artifactDir: string;
  /** The training data (a path as for npm run train, or the dataset itself): enables the test-split charts. */
  data?: string | RatingsDataset;
  /** Reader for a `data` path, as npm run train --format (default auto). */
  format?: string;
  /** How many of the most-rated items the maps draw (t-SNE is O(n^2) per iteration). Default 1000. */
  mapItems?: number;
  tsneIterations?: number;
  /** Overall progress in [0, 1] and the stage running. */
  onProgress?: (fraction: number, stage: string) => void;
  /** Called as each stage ends. */
  onStage?: (stage: string, seconds: number, detail: string) => void;
  /** An events folder (npm run events -- --save <dir>): adds the online metrics per A/B variant. */
  events?: { dir: string; model?: string };
}

export interface ReportResult {
  html: string;
  /** data-chart names of the charts drawn, in page order. */
  charts: string[];
  notes: string[];
  seconds: Record<string, number>;
  mappedItems: number;
}

export const REPORT_DEFAULTS = { mapItems: 1000, tsneIterations: 750, scatterPoints: 4000, cosinePairs: 20_000, nearestItems: 2000, groups: 10 } as const;

// Rough share of the run each stage takes (measured on ml-100k), so the progress bar's ETA is not wildly off.
const WEIGHTS = { load: 1, predict: 1, pca: 0.2, tsne: 5, umap: 4, similarity: 1, render: 0.5 } as const;
type Stage = keyof typeof WEIGHTS;
const TOTAL_WEIGHT = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
const ORDER = Object.keys(WEIGHTS) as Stage[];

/** Reads an artifact (and optionally its training data) and renders the report page. */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const t0 = performance.now();
  const seconds: Record<string, number> = {};
  let stageStart = performance.now();
  const progress = (stage: Stage, within: number) => {
    const before = ORDER.slice(0, ORDER.indexOf(stage)).reduce((s, k) => s + WEIGHTS[k], 0);
    opts.onProgress?.((before + WEIGHTS[stage] * within) / TOTAL_WEIGHT, stage);
  };
  const end = (stage: Stage, detail: string) => {
    seconds[stage] = (performance.now() - stageStart) / 1000;
    progress(stage, 1);
    opts.onStage?.(stage, seconds[stage], detail);
    stageStart = performance.now();
  };

  progress('load', 0);
  // First: a bad events folder stops the report before minutes of maps.
  const online = opts.events ? await readOnlineMetrics(opts.events.dir, opts.events.model) : undefined;
  const artifact = await readArtifactDir(opts.artifactDir);
  await useWasmBackend();
  const model = loadModel('report', 'report', artifact);
  try {
    const { manifest } = artifact;
    const items = artifact.tensors.get(TENSOR_NAMES.itemFactors)!;
    const [nItems, dim] = items.shape;
    const unit = normalizeRows(items.data, nItems, dim);
    const counts = trainCounts(artifact.items.seen.indices, nItems);
    end('load', `${manifest.model.kind} artifact, ${nItems} items x ${dim}`);

    const notes: string[] = [];
    let predictions: TestPredictions | undefined;
    if (!isExplicit(manifest)) notes.push(`This ${manifest.model.kind} model ranks items and does not predict ratings: no true-vs-predicted charts.`);
    else if (opts.data === undefined) notes.push('No --data given: the true-vs-predicted scatter and the rating histogram need the training data (npm run report -- <artifact> --data <path>).');
    else predictions = await predictTestSplit(model, opts.data, opts.format);
    end('predict', predictions ? `${predictions.truth.length} test ratings predicted` : 'skipped');

    const seed = typeof manifest.model.hyper.seed === 'number' ? manifest.model.hyper.seed : 42;
    const mapped = mostRated(counts, opts.mapItems ?? REPORT_DEFAULTS.mapItems);
    const mapInput: MapInput = {
      vectors: gatherRows(unit, mapped, dim),
      rows: mapped.length,
      dim,
      seed,
      onStep: (method, done, total) => progress(method, done / total),
    };
    const maps: ItemMap[] = [pcaMap(mapInput)];
    end('pca', `${mapped.length} items`);
    maps.push(tsneMap(mapInput, opts.tsneIterations ?? REPORT_DEFAULTS.tsneIterations));
    end('tsne', `${mapped.length} items`);
    maps.push(umapMap(mapInput));
    end('umap', `${mapped.length} items`);

    const random = randomPairCosines(unit, nItems, dim, REPORT_DEFAULTS.cosinePairs, seed);
    const nearest = nearestCosines(unit, nItems, dim, mostRated(counts, REPORT_DEFAULTS.nearestItems));
    const tables = similarTables(model, showcaseItems(model, manifest.dataset.name, counts), counts);
    end('similarity', `${random.length} random pairs, ${nearest.length} nearest neighbours`);

    const html = renderPage(model, { predictions, maps, mapped, random, nearest, tables, notes, seed, online });
    end('render', `${html.html.length} characters`);
    seconds.total = (performance.now() - t0) / 1000;
    return { ...html, notes, seconds, mappedItems: mapped.length };
  } finally {
    model.dispose();
  }
}

export async function writeReport(opts: ReportOptions & { out: string }): Promise<ReportResult & { out: string; bytes: number }> {
  const result = await buildReport(opts);
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(opts.out, result.html);
  return { ...result, out: opts.out, bytes: Buffer.byteLength(result.html) };
}

interface PageParts {
  predictions?: TestPredictions;
  maps: ItemMap[];
  mapped: number[];
  random: Float32Array;
  nearest: Float32Array;
  tables: ReturnType<typeof similarTables>;
  notes: string[];
  seed: number;
  online?: OnlineMetrics;
}

/** Draws a chart block and records its data-chart name (the report lists the charts drawn, in page order). */
type ChartFn = (id: string, title: string, svg: string, caption: string) => string;

function renderPage(model: LoadedModel, p: PageParts): { html: string; charts: string[] } {
  const m = model.manifest;
  const charts: string[] = [];
  const chart: ChartFn = (id, title, svg, caption) => {
    charts.push(id);
    return chartBlock(id, title, svg, caption);
  };
  let body = factsHtml(model) + p.notes.map(note).join('');
  body += section('metrics', 'Metrics on the held-out split', metricsTable(m.metrics) + baselineWarnings(m.metrics).map(note).join(''));
  body += trainingSection(m, chart);
  if (p.predictions) body += predictionsSection(p.predictions, p.seed, chart);
  body += mapsSection(model, p, chart);
  body += similaritySection(m, p, chart);
  if (p.online) body += onlineSection(p.online);

  const title = `edgerec report: ${m.model.kind} on ${m.dataset.name}`;
  // createdAt is in the facts list above; the subtitle names what identifies the bytes.
  const subtitle = `Artifact ${m.dataset.name} / ${m.model.kind}; tensors sha256 ${m.tensorsSha256.slice(0, 12)}…`;
  return { html: page(title, subtitle, body, `Generated by npm run report on ${new Date().toISOString()}.`), charts };
}

/** What the artifact is: kind, data, sizes, storage, and its hyper-parameters. */
function factsHtml(model: LoadedModel): string {
  const m = model.manifest;
  const itemDtype = m.tensors.find((t) => t.name === TENSOR_NAMES.itemFactors)?.dtype ?? '?';
  const hyper = Object.entries(m.model.hyper).map(([k, v]) => `${k}=${v}`).join(' ');
  const facts: [string, string][] = [
    ['kind', m.model.kind],
    // itemtag trains on (item, tag) pairs, not ratings: the count says which.
    ['dataset', `${m.dataset.name} (${m.dataset.ratings.toLocaleString('en')} ${m.model.kind === 'itemtag' ? 'item-tag pairs' : 'ratings'})`],
    ['split', m.dataset.split],
    ['users', String(m.counts.users)],
    ['items', String(m.counts.items)],
    ['dim', String(model.dim)],
    ['item vectors', itemDtype],
    ['tensors.bin', `${m.tensorsBytes.toLocaleString('en')} bytes`],
    ['created', m.createdAt],
  ];
  return factsList(facts) + `<p class="sub">hyper-parameters: ${hyper.replace(/[&<>]/g, '')}</p>`;
}

function trainingSection(m: LoadedModel['manifest'], chart: ChartFn): string {
  const epochs = m.training?.epochs ?? [];
  let training = '';
  if (epochs.length) {
    training += chart('loss', 'Loss per epoch', lossChart(epochs), `${epochs.length} epochs; training took ${(m.training?.seconds ?? 0).toFixed(1)} s.`);
    const extra = epochMetricNames(epochs);
    if (extra.length) training += chart('epoch-metrics', `${extra.map(epochMetricLabel).join(', ')} per epoch`, epochMetricsChart(epochs, extra), 'Figures the trainer measured after each epoch.');
  } else training = note('manifest.json has no per-epoch figures (training.epochs): no loss curve.');
  return section('training', 'Training', `<div class="grid">${training}</div>`);
}

function predictionsSection(t: NonNullable<PageParts['predictions']>, seed: number, chart: ChartFn): string {
  return section(
    'predictions',
    `Predictions on the test split (${t.split})`,
    `<div class="grid">` +
      chart('scatter', 'True vs predicted rating', scatterChart(t, REPORT_DEFAULTS.scatterPoints, seed),
        `${Math.min(t.truth.length, REPORT_DEFAULTS.scatterPoints)} of ${t.truth.length} test ratings (seeded sample), predicted by the quantised artifact through the serving code; red: mean prediction per true rating; dashed: perfect prediction.`) +
      chart('rating-histogram', 'Rating histogram', ratingHistogram(t), 'Share of test ratings per rating: true (top) and predicted (bottom). A model that regresses to the mean piles up in the middle.') +
      `</div>`,
  );
}

function mapsSection(model: LoadedModel, p: PageParts, chart: ChartFn): string {
  const points = pointsOf(model, p.mapped);
  const groups = groupsOf(points.map((x) => x.group));
  const grouped = points.map((x) => ({ title: x.title, group: groups.includes(x.group) ? x.group : OTHER }));
  const [pca, tsne, umap] = p.maps;
  const pct = (x = 0) => `${(100 * x).toFixed(1)}%`;
  const mapsHtml =
    chart('map-pca', 'PCA', mapChart(pca, grouped, groups, [`PC1 (${pct(pca.explained?.[0])} of variance)`, `PC2 (${pct(pca.explained?.[1])})`]),
      `First two principal components of the unit-length item vectors (notebook 001); ${pca.seconds.toFixed(2)} s.`) +
    chart('map-tsne', 't-SNE', mapChart(tsne, grouped, groups, ['', '']), `Exact t-SNE, perplexity 30, PCA start; ${tsne.seconds.toFixed(1)} s.`) +
    chart('map-umap', 'UMAP', mapChart(umap, grouped, groups, ['', '']), `umap-js, 15 neighbours, min_dist 0.1, seed ${p.seed}; ${umap.seconds.toFixed(1)} s.`);
  return section(
    'maps',
    `Item embeddings in 2-D (the ${p.mapped.length} most-rated items)`,
    `<p>Coloured by each item's first tag (genre); hover a point for its title. Neighbourhoods here are the cosine neighbourhoods that similar-items answers come from.</p><div class="grid maps">${mapsHtml}</div>`,
  );
}

function similaritySection(m: LoadedModel['manifest'], p: PageParts, chart: ChartFn): string {
  const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
  return section(
    'similarity',
    'Cosine similarity',
    `<div class="grid">` +
      chart('cosine-histogram', 'Cosine similarity of item vectors', cosineHistogram(p.random, p.nearest),
        `${p.random.length} random item pairs (mean ${mean(p.random).toFixed(3)}) vs the nearest neighbour of ` +
          `${p.nearest.length === m.counts.items ? 'every item' : `each of the ${p.nearest.length} most-rated items`} (mean ${mean(p.nearest).toFixed(3)}).`) +
      `</div><h3>Similar items (what GET /v1/models/:model/items/:item/similar answers)</h3><div class="tables">${similarTablesHtml(p.tables)}</div>`,
  );
}

function pointsOf(model: LoadedModel, rows: number[]): { title: string; group: string }[] {
  return rows.map((i) => {
    const meta = model.itemMeta[i];
    return { title: meta.title || meta.id, group: meta.tags?.[0] ?? '(no tags)' };
  });
}

/** The most frequent groups get colours; the rest share OTHER, because 11+ hues cannot be told apart. */
function groupsOf(labels: string[]): string[] {
  const freq = new Map<string, number>();
  for (const l of labels) freq.set(l, (freq.get(l) ?? 0) + 1);
  const order = [...freq].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([g]) => g);
  return order.length <= REPORT_DEFAULTS.groups + 1 ? order : [...order.slice(0, REPORT_DEFAULTS.groups), OTHER];
}

function gatherRows(data: Float32Array, rows: number[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => out.set(data.subarray(r * dim, (r + 1) * dim), k * dim));
  return out;
}

/** Per-epoch figure names as a reader says them (trainRmse -> train RMSE). */
export function epochMetricLabel(name: string): string {
  const words = name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[\s_]+/);
  const upper = new Set(['rmse', 'mae', 'auc', 'ndcg', 'map', 'mse']);
  return words.map((w) => (w === 'valid' ? 'validation' : upper.has(w) ? w.toUpperCase() : w)).join(' ');
}

/**
 * Baselines that beat the model on a metric it reports are said in words, not left for the reader to spot in the
 * table (on tag overlap, the tag-set Jaccard neighbours often beat itemtag's embeddings: they read the tags directly).
 */
export function baselineWarnings(metrics: Manifest['metrics']): string[] {
  const out: string[] = [];
  const higherIsBetter = ['tag_overlap_at_10', 'auc', 'ndcg_at_10', 'precision_at_10', 'recall_at_10', 'map_at_10', 'accuracy'];
  for (const [name, base] of Object.entries(metrics.baselines ?? {})) {
    for (const k of higherIsBetter) {
      const mine = metrics.quantized?.[k] ?? metrics.float?.[k];
      if (mine === undefined || base[k] === undefined || !(base[k] > mine)) continue;
      out.push(`The ${name.replace(/_/g, ' ')} baseline scores higher than this model on ${k.replace(/_/g, ' ')} (${base[k].toFixed(3)} vs ${mine.toFixed(3)}).`);
    }
  }
  return out;
}
