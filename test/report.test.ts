import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBar, formatDuration, Progress, progressMode } from '../training/cli/progress.js';
import { loadDataset } from '../training/data/load.js';
import { createRng, randomNormal } from '../training/data/random.js';
import { chooseSplit } from '../training/data/split.js';
import { generateSynthetic } from '../training/data/synthetic.js';
import type { TrainReport } from '../training/pipeline/kinds.js';
import { trainMfPipeline } from '../training/pipeline/train-mf.js';
import { inspectCharts, openInChromium, type ChartCheck } from '../training/report/browser.js';
import { buildReport, writeReport, type ReportResult } from '../training/report/build.js';
import { pca } from '../training/report/pca.js';
import { tsne } from '../training/report/tsne.js';
import { SMALL, trainSmallArtifact } from './helpers/handmade-artifact.js';
import { ML100K } from './helpers/datasets.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const ALL_CHARTS = ['loss', 'epoch-metrics', 'scatter', 'rating-histogram', 'map-pca', 'map-tsne', 'map-umap', 'cosine-histogram'];

let trained: TrainReport;
let report: ReportResult & { out: string };

beforeAll(async () => {
  trained = await trainSmallArtifact();
  // The same generator call trainSmallArtifact made: same data, same fingerprint, so the test split re-creates.
  report = await writeReport({ artifactDir: trained.out, data: generateSynthetic(SMALL), out: join(trained.out, 'report.html') });
}, 60_000);

afterAll(async () => {
  if (trained) await rm(trained.out, { recursive: true, force: true });
});

describe('report page', () => {
  it('has every chart when the data is given, and the similar-items tables', () => {
    expect(report.charts).toEqual(ALL_CHARTS);
    expect(report.notes).toEqual([]);
    expect(report.mappedItems).toBe(SMALL.items);
    // Synthetic data has no Star Wars: the three most-rated items get tables of 10 neighbours each.
    expect(report.html.match(/<table class="similar">/g)).toHaveLength(3);
    expect(report.html.match(/<table class="similar">[\s\S]*?<\/table>/)![0].match(/<tr><td>/g)).toHaveLength(10);
    // The metrics table carries the manifest's figures: float, quantised, their delta, both baselines.
    expect(report.html).toContain(`<td>${trained.metrics.rmse.toFixed(4)}</td><td>${Number(trained.quantized.rmse).toFixed(4)}</td>`);
    expect(report.html).toContain(`<td>${trained.baselines.bias.rmse.toFixed(4)}</td>`);
    // Self-contained: no script, no external reference.
    expect(report.html).not.toMatch(/<script|<link|src=|href="http/i);
  });

  it('without --data skips the test-split charts and says why', async () => {
    const r = await buildReport({ artifactDir: trained.out, mapItems: 60, tsneIterations: 50 });
    expect(r.charts).toEqual(ALL_CHARTS.filter((c) => c !== 'scatter' && c !== 'rating-histogram'));
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/No --data given/);
    expect(r.html).toContain('No --data given');
    expect(r.mappedItems).toBe(60);
  }, 30_000);

  it('refuses data the artifact was not trained on', async () => {
    await expect(buildReport({ artifactDir: trained.out, data: generateSynthetic({ ...SMALL, seed: 99 }), mapItems: 10, tsneIterations: 5 })).rejects.toThrow(
      /is not what this artifact was trained on.*pass the same --data/,
    );
  });

  it('says what a folder lacks when it is not an artifact', async () => {
    await expect(buildReport({ artifactDir: REPO })).rejects.toThrow(/is not an artifact folder \(no manifest\.json, tensors\.bin, items\.json\)/);
  });
});


describe.skipIf(!existsSync(ML100K))('report on MovieLens 100K (real data, skipped when absent)', () => {
  it('shows Star Wars, Toy Story and The Silence of the Lambs with their known neighbours', async () => {
    const out = await mkdtemp(join(tmpdir(), 'edgerec-ml100k-report-'));
    try {
      await trainMfPipeline({ dataset: await loadDataset(ML100K), split: 'random-80-20', options: { seed: 42 }, quantization: 'q8', out });
      const r = await buildReport({ artifactDir: out, data: ML100K, mapItems: 50, tsneIterations: 20 });
      expect(r.charts).toEqual(ALL_CHARTS);
      const captions = [...r.html.matchAll(/<table class="similar"><caption>([^<]+) </g)].map((m) => m[1]);
      expect(captions).toEqual(['Star Wars (1977)', 'Toy Story (1995)', 'Silence of the Lambs, The (1991)']);
      const starWars = r.html.match(/<table class="similar">[\s\S]*?<\/table>/)![0];
      const top3 = [...starWars.matchAll(/<tr><td>\d+<\/td><td>([^<]+)<\/td>/g)].slice(0, 3).map((m) => m[1]);
      expect(top3).toContain('Empire Strikes Back, The (1980)');
      expect(top3).toContain('Return of the Jedi (1983)');
      expect(r.html).toContain('Predictions on the test split (random-80-20)');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('report in headless Chromium', () => {
  let charts: ChartCheck[];
  let outside: string[];

  beforeAll(async () => {
    // Fails (does not skip) without Chromium: the error says how to install it; CI installs it.
    const opened = await openInChromium(report.out);
    try {
      charts = await inspectCharts(opened.page);
      outside = opened.outsideRequests;
    } finally {
      await opened.close();
    }
  }, 60_000);

  it('draws every chart with marks of non-zero size, offline', () => {
    expect(outside).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(ALL_CHARTS);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(Object.values(c.marks).reduce((a, b) => a + b, 0), c.id).toBeGreaterThan(0);
    }
    const by = Object.fromEntries(charts.map((c) => [c.id, c]));
    const epochs = trained.epochs.length;
    expect(by.loss.marks).toEqual({ line: 2, dot: 2 * epochs });
    expect(by['epoch-metrics'].marks.line).toBeGreaterThanOrEqual(1);
    const test = Number(trained.dataset.test);
    const ds = generateSynthetic(SMALL);
    const ratings = new Set(Array.from(chooseSplit(ds, trained.split, 1).test, (r) => ds.ratings.rating[r])).size;
    expect(by.scatter.marks.dot).toBe(test + ratings);
    expect(by['rating-histogram'].marks.rect).toBeGreaterThan(ratings);
    expect(by['cosine-histogram'].marks.rect).toBeGreaterThan(10);
  });

  it('maps every item with its title on hover', () => {
    for (const id of ['map-pca', 'map-tsne', 'map-umap']) {
      const c = charts.find((x) => x.id === id)!;
      expect(c.marks, id).toEqual({ dot: SMALL.items });
      expect(c.titles, id).toBe(SMALL.items);
    }
  });
});

describe('map algorithms on planted clusters', () => {
  // 6 well-separated Gaussian clusters in 20-D; a good 2-D map keeps each point's nearest neighbour in its cluster.
  const k = 6;
  const per = 40;
  const d = 20;
  const n = k * per;
  const rng = createRng(3);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => randomNormal(rng) * 1.2));
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) X[i * d + c] = centres[i % k][c] + randomNormal(rng);
  const purity = (Y: Float64Array) => {
    let same = 0;
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < n; j++) {
        const dd = j === i ? Infinity : (Y[i * 2] - Y[j * 2]) ** 2 + (Y[i * 2 + 1] - Y[j * 2 + 1]) ** 2;
        if (dd < bestD) [best, bestD] = [j, dd];
      }
      if (best % k === i % k) same++;
    }
    return same / n;
  };

  it('t-SNE separates them (and is deterministic)', () => {
    const Y = tsne(X, n, d, { iterations: 400 });
    expect(purity(Y)).toBeGreaterThan(0.97);
    expect(tsne(X, n, d, { iterations: 400 })).toEqual(Y);
  });

  it('PCA finds a planted direction and its share of variance', () => {
    // Points along (3, 4, 0, 0) / 5 with unit spread, tiny noise elsewhere.
    const r = createRng(1);
    const m = 500;
    const data = new Float64Array(m * 4);
    const t = Float64Array.from({ length: m }, () => randomNormal(r));
    for (let i = 0; i < m; i++) {
      data[i * 4] = 0.6 * t[i] + 0.01 * randomNormal(r);
      data[i * 4 + 1] = 0.8 * t[i] + 0.01 * randomNormal(r);
      data[i * 4 + 2] = 0.01 * randomNormal(r);
      data[i * 4 + 3] = 0.01 * randomNormal(r);
    }
    const { coords, explained } = pca(data, m, 4, 2);
    expect(explained[0]).toBeGreaterThan(0.999);
    expect(explained[0] + explained[1]).toBeLessThanOrEqual(1 + 1e-9);
    // PC1 is t up to sign and the (removed) mean.
    const mean = t.reduce((a, b) => a + b, 0) / m;
    let err = 0;
    const sign = Math.sign(coords[0] * (t[0] - mean));
    for (let i = 0; i < m; i++) err = Math.max(err, Math.abs(sign * coords[i * 2] - (t[i] - mean)));
    expect(err).toBeLessThan(0.05);
  });
});

describe('CLI progress', () => {
  it('draws a bar only for a person at a terminal', () => {
    expect(progressMode({ stream: { isTTY: true }, env: {} })).toBe('bar');
    expect(progressMode({ stream: { isTTY: true }, env: { CI: 'true' } })).toBe('lines');
    expect(progressMode({ stream: { isTTY: true }, env: { CI: 'false' } })).toBe('bar');
    expect(progressMode({ stream: { isTTY: true }, env: {}, json: true })).toBe('lines');
    expect(progressMode({ stream: { isTTY: false }, env: {} })).toBe('lines');
  });

  it('formats the bar with the figures and an ETA', () => {
    expect(formatBar({ unit: 'epoch', done: 20, total: 80, elapsed: 10, fields: { loss: 0.81234, valid: undefined } })).toBe(
      'epoch 20/80  [######------------------]  25%  loss 0.8123  ETA 30s',
    );
    expect(formatBar({ unit: 'epoch', done: 80, total: 80, elapsed: 65 })).toBe('epoch 80/80  [########################] 100%  done in 1m05s');
    expect(formatBar({ unit: 'epoch', done: 3, elapsed: 2 })).toBe('epoch 3  2s elapsed');
    expect(formatBar({ unit: 'report', count: false, done: 50, total: 100, elapsed: 4, fields: { stage: 'tsne' } })).toBe(
      'report  [############------------]  50%  stage tsne  ETA 4s',
    );
    expect(formatDuration(7384)).toBe('2h03m');
  });

  it('prints the plain lines in lines mode and redraws in place in bar mode', () => {
    const printed: string[] = [];
    const lines = new Progress({ mode: 'lines', unit: 'epoch', total: 2, print: (l) => printed.push(l) });
    lines.update(1, { loss: 1 }, 'epoch 1  train loss 1.0000');
    lines.update(2, { loss: 0.5 });
    lines.finish();
    expect(printed).toEqual(['epoch 1  train loss 1.0000']);

    let screen = '';
    let clock = 0;
    const bar = new Progress({ mode: 'bar', unit: 'epoch', total: 2, print: (l) => (screen += `${l}\n`), stream: { write: (s: string) => (screen += s) }, now: () => clock });
    clock = 1000;
    bar.update(1, { loss: 1 }, 'epoch 1 line');
    bar.print('a log line');
    clock = 2000;
    bar.update(2, { loss: 0.5 });
    bar.finish();
    expect(screen).toBe(
      '\r\x1b[2Kepoch 1/2  [############------------]  50%  loss 1  ETA 1s' +
        '\r\x1b[2Ka log line\n' +
        '\r\x1b[2Kepoch 1/2  [############------------]  50%  loss 1  ETA 1s' +
        '\r\x1b[2Kepoch 2/2  [########################] 100%  loss 0.5000  done in 2s\n',
    );
  });
});

describe('report CLI', () => {
  const tsx = join(REPO, 'node_modules/tsx/dist/cli.mjs');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [tsx, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, timeout: 60_000 });

  it('reports stages as plain lines in CI and prints one JSON line with --json', () => {
    const out = join(trained.out, 'cli-report.html');
    const r = run(['training/cli/report.ts', trained.out, '--out', out, '--map-items', '40', '--tsne-iterations', '20', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(json.out).toBe(out);
    expect(json.charts).toEqual(ALL_CHARTS.filter((c) => c !== 'scatter' && c !== 'rating-histogram'));
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('report: ')).map((l) => l.split(' ')[1])).toEqual(['load', 'predict', 'pca', 'tsne', 'umap', 'similarity', 'render']);
  }, 60_000);

  it('npm run train -- --report writes the report beside the artifact; the JSON line stays last', async () => {
    const out = await mkdtemp(join(tmpdir(), 'edgerec-train-report-'));
    try {
      const r = run(['training/cli/train.ts', '--data', 'test/fixtures/ml-100k-mini', '--out', out, '--epochs', '2', '--report', '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).out).toBe(out);
      expect(r.stderr).toMatch(/^epoch 2  train loss /m);
      expect(r.stderr).toContain(`wrote ${join(out, 'report.html')}`);
      const html = await readFile(join(out, 'report.html'), 'utf8');
      expect(html.match(/data-chart="([^"]+)"/g)!.map((m) => m.slice(12, -1))).toEqual(ALL_CHARTS);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails with one line and a non-zero exit on a bad folder', () => {
    const r = run(['training/cli/report.ts', join(trained.out, 'nope')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*nope is not an artifact folder/);
  }, 60_000);
});
