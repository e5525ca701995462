import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, randomNormal } from '../../training/data/random.js';
import { fitRidge, predictRidge } from '../../training/models/probe.js';
import { probePipeline, runProbe } from '../../training/pipeline/train-probe.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((d) => rm(d, { recursive: true, force: true }))));

describe('fitRidge', () => {
  it('recovers exact weights and intercept of noise-free data with lambda 0 (least squares)', () => {
    const rng = createRng(1);
    const d = 4, n = 30;
    const w = [0.5, -2, 3, 0.25];
    const X = Float64Array.from({ length: n * d }, () => randomNormal(rng));
    const y = Float64Array.from({ length: n }, (_, r) => 7 + w.reduce((s, wf, f) => s + wf * X[r * d + f], 0));
    const m = fitRidge(X, d, y, Int32Array.from({ length: n }, (_, r) => r), 0);
    m.weights.forEach((v, f) => expect(v).toBeCloseTo(w[f], 9));
    expect(m.intercept).toBeCloseTo(7, 9);
    expect(predictRidge(m, X, d, 3)).toBeCloseTo(y[3], 9);
  });

  it('shrinks weights as lambda grows, and never the intercept', () => {
    // One column: w = sum(xc yc) / (sum(xc^2) + lambda). x = 0, 1, 2, 3 and y = 2x + 1: sum(xc^2) = 5, sum(xc yc) = 10.
    const X = Float64Array.of(0, 1, 2, 3);
    const y = Float64Array.of(1, 3, 5, 7);
    const rows = Int32Array.of(0, 1, 2, 3);
    const m = fitRidge(X, 1, y, rows, 5);
    expect(m.weights[0]).toBeCloseTo(10 / 10, 12);
    expect(m.intercept).toBeCloseTo(4 - 1.5 * m.weights[0], 12);
  });

  it('says what to do when the system is singular', () => {
    const X = Float64Array.of(1, 2, 2, 4, 3, 6);
    expect(() => fitRidge(X, 2, Float64Array.of(1, 2, 3), Int32Array.of(0, 1, 2), 0)).toThrow(/singular .* pass a larger --ridge/);
    expect(() => fitRidge(X, 2, Float64Array.of(1, 2, 3), Int32Array.of(0, 1, 2), 0.1)).not.toThrow();
  });
});

describe('runProbe (003: embeddings -> property vs the mean)', () => {
  it('recovers a planted linear property: test MSE far below the mean baseline', () => {
    const rng = createRng(2);
    const n = 600, d = 8;
    const ids = Array.from({ length: n }, (_, i) => `m${i}`);
    const data = Float32Array.from({ length: n * d }, () => randomNormal(rng));
    // The probe reads unit vectors, so plant the property on those.
    const values = new Map<string, number>();
    ids.forEach((id, i) => {
      let norm = 0;
      for (let f = 0; f < d; f++) norm += data[i * d + f] ** 2;
      const u = (f: number) => data[i * d + f] / Math.sqrt(norm);
      values.set(id, 0.6 + 0.3 * u(0) - 0.2 * u(3) + 0.01 * randomNormal(rng));
    });
    values.set('m5', NaN);
    const r = runProbe({ vectors: { ids, dim: d, data, source: 'test', dtype: 'f32' }, target: { name: 'score', values }, testFraction: 0.2, ridge: 0, seed: 1 });
    expect(r.items).toEqual({ with_target: 599, train: 479, test: 120, without_target: 1 });
    expect(r.metrics.mse).toBeLessThan(0.02 * r.baselines.mean.mse);
    expect(r.metrics.mse).toBeCloseTo(1e-4, 4);
    expect(r.metrics.r2).toBeGreaterThan(0.98);
  });

  it('finds nothing in noise: MSE about the baseline', () => {
    const rng = createRng(3);
    const n = 400, d = 8;
    const ids = Array.from({ length: n }, (_, i) => `m${i}`);
    const data = Float32Array.from({ length: n * d }, () => randomNormal(rng));
    const values = new Map(ids.map((id) => [id, randomNormal(rng)] as const));
    const r = runProbe({ vectors: { ids, dim: d, data, source: 'test', dtype: 'f32' }, target: { name: 'noise', values }, testFraction: 0.25, ridge: 1, seed: 1 });
    expect(r.metrics.mse / r.baselines.mean.mse).toBeGreaterThan(0.95);
    expect(r.metrics.mse / r.baselines.mean.mse).toBeLessThan(1.15);
  });
});

describe('probePipeline', () => {
  it('trains itemtag on the fly, probes a Steam property, and writes the report JSON to --out', async () => {
    const out = await mkdtemp(join(tmpdir(), 'edgerec-probe-'));
    roots.push(out);
    const report = await probePipeline.run({
      data: fixture('steam-mini.csv'), format: 'auto', split: 'random-67-33', seed: 1, quantization: 'q8', out,
      options: { target: 'price', epochs: '2', dim: '4' }, log: () => {},
    });
    expect(report.model).toBe('probe');
    expect(report.dataset).toMatchObject({ format: 'steam-csv', with_target: 3, train: 2, test: 1 });
    // One test item: r2 has no variance to measure against and is left out.
    expect(Object.keys(report.metrics)).toEqual(['mse', 'mae']);
    expect(report.baselines.mean.mse).toBeGreaterThan(0);
    expect(report.epochs).toHaveLength(2);
    expect(JSON.parse(await readFile(join(out, 'probe-report.json'), 'utf8'))).toEqual(report);
  });

  it('lists the properties when --target is missing or unknown', async () => {
    const req = { data: fixture('links-mini.ndjson'), format: 'auto', split: 'random-80-20', seed: 1, quantization: 'q8' as const, out: '/nonexistent', log: () => {} };
    await expect(probePipeline.run({ ...req, options: {} })).rejects.toThrow('--target is required; choose one of rotten_tomatoes, field_4');
    await expect(probePipeline.run({ ...req, options: { target: 'box_office' } })).rejects.toThrow('--target "box_office" is not a property of links-mini.ndjson; choose one of rotten_tomatoes, field_4');
  });
});
