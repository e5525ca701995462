import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { EpochReport } from '../pipeline/kinds.js';
import { createRng } from '../data/random.js';
import type { ItemMap } from './maps.js';
import type { TestPredictions } from './predictions.js';

/**
 * Charts as static SVG: Observable Plot renders server-side into linkedom's DOM, so the report is one HTML file
 * that needs no script and no network. Hover text is SVG <title> (Plot's `title` channel).
 */

/** Rendered markup of one chart (a <svg>, or a <figure> holding a legend and the <svg>). */
export type ChartHtml = string;

function render(options: Plot.PlotOptions): ChartHtml {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const chart = Plot.plot({ ...options, document: document as unknown as Document, style: { fontSize: '12px', background: 'white' } });
  return chart.outerHTML;
}

/** Train and validation loss per epoch (notebook 004's history plot). */
export function lossChart(epochs: EpochReport[]): ChartHtml {
  const rows = epochs.flatMap((e) => [
    { epoch: e.epoch, loss: e.trainLoss, series: 'train' },
    ...(e.validLoss !== undefined ? [{ epoch: e.epoch, loss: e.validLoss, series: 'validation' }] : []),
  ]);
  return render({
    width: 640,
    height: 320,
    grid: true,
    color: { legend: true, domain: ['train', 'validation'] },
    x: { label: 'epoch', tickFormat: 'd' },
    y: { label: 'loss' },
    marks: [
      Plot.line(rows, { x: 'epoch', y: 'loss', stroke: 'series' }),
      Plot.dot(rows, { x: 'epoch', y: 'loss', fill: 'series', r: epochs.length > 40 ? 1.5 : 2.5, title: (d) => `epoch ${d.epoch}: ${d.series} ${d.loss.toFixed(4)}` }),
    ],
  });
}

/** Per-epoch figures other than the losses (auc for bpr, and whatever else a trainer reports). */
export function epochMetricNames(epochs: EpochReport[]): string[] {
  const skip = new Set(['epoch', 'seconds', 'trainLoss', 'validLoss']);
  const names = new Set<string>();
  for (const e of epochs) for (const [k, v] of Object.entries(e)) if (!skip.has(k) && typeof v === 'number' && Number.isFinite(v)) names.add(k);
  return [...names];
}

export function epochMetricsChart(epochs: EpochReport[], names: string[]): ChartHtml {
  const rows = epochs.flatMap((e) => names.filter((n) => typeof e[n] === 'number').map((n) => ({ epoch: e.epoch, value: e[n] as number, metric: n })));
  return render({
    width: 640,
    height: 280,
    grid: true,
    color: { legend: true, domain: names },
    x: { label: 'epoch', tickFormat: 'd' },
    y: { label: names.join(', ') },
    marks: [
      Plot.line(rows, { x: 'epoch', y: 'value', stroke: 'metric' }),
      Plot.dot(rows, { x: 'epoch', y: 'value', fill: 'metric', r: 2, title: (d) => `epoch ${d.epoch}: ${d.metric} ${d.value.toFixed(4)}` }),
    ],
  });
}

/**
 * True vs predicted rating on the test split (notebook 004's plot_prediction). Ratings are whole numbers, so the
 * true value gets a little seeded horizontal jitter, and each true rating's mean prediction is drawn on top.
 */
export function scatterChart(p: TestPredictions, maxPoints: number, seed: number): ChartHtml {
  const rng = createRng(seed);
  const n = p.truth.length;
  const take = Math.min(n, maxPoints);
  const rows: { truth: number; predicted: number }[] = [];
  for (let k = 0; k < n && rows.length < take; k++) {
    // Selection sampling: each row kept with probability (still needed) / (still left), exactly `take` rows.
    if (rng() * (n - k) < take - rows.length) rows.push({ truth: p.truth[k] + (rng() - 0.5) * 0.5, predicted: p.predicted[k] });
  }
  const means = new Map<number, { sum: number; count: number }>();
  for (let k = 0; k < n; k++) {
    const m = means.get(p.truth[k]) ?? { sum: 0, count: 0 };
    m.sum += p.predicted[k];
    m.count++;
    means.set(p.truth[k], m);
  }
  const meanRows = [...means].sort((a, b) => a[0] - b[0]).map(([truth, m]) => ({ truth, predicted: m.sum / m.count, count: m.count }));
  const [lo, hi] = p.ratingRange;
  return render({
    width: 560,
    height: 440,
    grid: true,
    x: { label: 'true rating (jittered)', domain: [lo - 0.5, hi + 0.5] },
    y: { label: 'predicted rating', domain: [lo, hi] },
    marks: [
      Plot.dot(rows, { x: 'truth', y: 'predicted', r: 1.5, fill: '#4269d0', fillOpacity: 0.15 }),
      Plot.link([{ x1: lo, y1: lo, x2: hi, y2: hi }], { x1: 'x1', y1: 'y1', x2: 'x2', y2: 'y2', stroke: '#888', strokeDasharray: '4,3' }),
      Plot.line(meanRows, { x: 'truth', y: 'predicted', stroke: '#d6452c', strokeWidth: 2 }),
      Plot.dot(meanRows, {
        x: 'truth',
        y: 'predicted',
        r: 5,
        fill: '#d6452c',
        title: (d) => `true ${d.truth}: mean prediction ${d.predicted.toFixed(3)} over ${d.count} ratings`,
      }),
    ],
  });
}

/** Distribution of the true and the predicted test ratings (notebook 004's rating histogram), one row each. */
export function ratingHistogram(p: TestPredictions): ChartHtml {
  const [lo, hi] = p.ratingRange;
  const rows = [
    ...Array.from(p.truth, (v) => ({ rating: v, series: 'true' })),
    ...Array.from(p.predicted, (v) => ({ rating: v, series: 'predicted' })),
  ];
  const step = (hi - lo) / 4 <= 2 ? 0.25 : 0.5;
  // Bins centred on the rating values (a true 4 sits in the middle of the bar over 4).
  const thresholds = Array.from({ length: Math.round((hi - lo + 1) / step) + 2 }, (_, k) => lo - 0.5 - step / 2 + k * step);
  return render({
    width: 640,
    height: 360,
    marginRight: 70,
    color: { domain: ['true', 'predicted'], range: ['#4269d0', '#efb118'] },
    x: { label: 'rating', domain: [lo - 0.5, hi + 0.5] },
    y: { label: 'share of test ratings', percent: true, grid: true },
    facet: { data: rows, y: 'series', label: null },
    fy: { domain: ['true', 'predicted'] },
    marks: [
      Plot.rectY(rows, Plot.binX<Plot.RectYOptions>({ y: 'proportion-facet' }, { x: 'rating', fill: 'series', thresholds, insetLeft: 1 })),
      Plot.ruleY([0]),
    ],
  });
}

/** One 2-D map of item embeddings, coloured by the item's first tag, with its title on hover. */
export function mapChart(map: ItemMap, points: { title: string; group: string }[], groups: string[], axisLabels: [string, string]): ChartHtml {
  const palette = Plot.scale({ color: { type: 'ordinal', scheme: 'observable10', domain: groups.filter((g) => g !== OTHER) } }).range as string[];
  const range = groups.map((g, k) => (g === OTHER ? '#b8b8b8' : palette[k % palette.length]));
  const rows = points.map((p, k) => ({ x: map.x[k], y: map.y[k], ...p }));
  return render({
    width: 440,
    height: 420,
    inset: 8,
    color: { legend: true, domain: groups, range },
    x: map.method === 'pca' ? { label: axisLabels[0] } : { axis: null },
    y: map.method === 'pca' ? { label: axisLabels[1] } : { axis: null },
    grid: map.method === 'pca',
    marks: [
      ...(map.method === 'pca' ? [] : [Plot.frame({ stroke: '#ddd' })]),
      Plot.dot(rows, { x: 'x', y: 'y', fill: 'group', r: 3, fillOpacity: 0.8, title: (d) => `${d.title} (${d.group})` }),
    ],
  });
}

/** The label for items outside the most common groups. */
export const OTHER = 'other';

/** Cosine of random item pairs vs each item's nearest neighbour (notebook 004's cosine histogram). */
export function cosineHistogram(random: Float32Array, nearest: Float32Array): ChartHtml {
  const rows = [
    ...Array.from(random, (v) => ({ cosine: v, series: 'random pairs' })),
    ...Array.from(nearest, (v) => ({ cosine: v, series: 'nearest neighbour' })),
  ];
  const domain = ['random pairs', 'nearest neighbour'];
  return render({
    width: 640,
    height: 360,
    marginRight: 130,
    marginBottom: 40,
    color: { domain, range: ['#4269d0', '#3ca951'] },
    x: { label: 'cosine similarity', labelAnchor: 'center', domain: [-1, 1] },
    y: { label: 'share', percent: true, grid: true },
    facet: { data: rows, y: 'series', label: null },
    fy: { domain },
    marks: [
      Plot.rectY(rows, Plot.binX<Plot.RectYOptions>({ y: 'proportion-facet' }, { x: { value: 'cosine', thresholds: 40, domain: [-1, 1] }, fill: 'series', insetLeft: 0.5 })),
      Plot.ruleY([0]),
      Plot.ruleX([0], { stroke: '#888', strokeDasharray: '3,3' }),
    ],
  });
}
