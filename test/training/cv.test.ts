import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, writeSyntheticMovieLens } from '../../training/data/synthetic.js';
import { crossValidate, summarise } from '../../training/pipeline/cv.js';
import type { ModelPipeline, TrainReport, TrainRequest } from '../../training/pipeline/kinds.js';
import { svdppPipeline } from '../../training/pipeline/train-svdpp.js';

/** A MovieLens 100K-layout folder with its own u1..u5 folds: row r of u.data is in fold r mod 5's test file. */
async function foldedFixture(): Promise<{ dir: string; n: number }> {
  const ds = generateSynthetic({ users: 40, items: 30, ratingsPerUser: 10, seed: 2 });
  const dir = await mkdtemp(path.join(tmpdir(), 'edgerec-cv-fixture-'));
  await writeSyntheticMovieLens(dir, ds);
  const n = ds.ratings.rating.length;
  const line = (r: number) => `${ds.userIds[ds.ratings.user[r]]}\t${ds.itemIds[ds.ratings.item[r]]}\t${ds.ratings.rating[r]}\t${ds.ratings.timestamp![r]}\n`;
  for (let k = 0; k < 5; k++) {
    const base: string[] = [];
    const test: string[] = [];
    for (let r = 0; r < n; r++) (r % 5 === k ? test : base).push(line(r));
    await writeFile(path.join(dir, `u${k + 1}.base`), base.join(''));
    await writeFile(path.join(dir, `u${k + 1}.test`), test.join(''));
  }
  return { dir, n };
}

function request(data: string, out: string, over: Partial<TrainRequest> = {}): TrainRequest {
  return { data, format: 'auto', split: 'random-80-20', seed: 1, quantization: 'q8', out, options: {}, log: () => {}, ...over };
}

/** A pipeline that trains nothing: fold k (1-based) scores rmse 0.9 + k/100, so means and stds are known. */
function fakePipeline(calls: { split: string; out: string }[]): ModelPipeline {
  return {
    kind: 'fake',
    summary: 'records its calls',
    options: {},
    async run(req) {
      calls.push({ split: req.split, out: req.out });
      const k = Number(req.split.slice(1));
      const report: TrainReport = {
        model: 'fake',
        dataset: { name: 'fixture', fingerprint: 'f' },
        split: req.split,
        hyper: {},
        metrics: { rmse: 0.9 + k / 100, mae: 0.7 },
        baselines: { bias: { rmse: 1 + k / 10, mae: 0.8 } },
        quantized: { rmse: 0.91 + k / 100, mae: 0.7, quantization: 'q8' },
        bytes: { artifact: 1, catalog: 2, float32: 4, files: 9 },
        seconds: { train: k, total: k + 1, epoch_median: k / 10 },
        epochs: [],
        out: req.out,
      };
      return report;
    },
  };
}

describe('--cv: k-fold over the official folds', () => {
  let fixture: { dir: string; n: number };
  beforeAll(async () => {
    fixture = await foldedFixture();
  });
  afterAll(() => rm(fixture.dir, { recursive: true, force: true }));

  it('runs u1..u5 in order, writes only the last fold to --out, and averages the folds', async () => {
    const calls: { split: string; out: string }[] = [];
    const out = path.join(fixture.dir, 'artifact');
    const r = await crossValidate(fakePipeline(calls), request(fixture.dir, out));
    expect(calls.map((c) => c.split)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(calls.slice(0, 4).every((c) => c.out !== out && !existsSync(c.out))).toBe(true);
    expect(calls[4].out).toBe(out);
    expect(r.split).toBe('cv-u1+u2+u3+u4+u5');
    expect(r.metrics.rmse).toBeCloseTo(0.93, 12);
    expect(r.metrics.mae).toBeCloseTo(0.7, 12);
    // Population std of 0.91..0.95: sqrt(mean of (0.02^2, 0.01^2, 0, 0.01^2, 0.02^2)) = sqrt(0.0002).
    expect(r.cv.std.rmse).toBeCloseTo(Math.sqrt(0.0002), 12);
    expect(r.cv.std.mae).toBeCloseTo(0, 12);
    r.cv.folds.forEach((f, k) => expect(f.metrics.rmse).toBeCloseTo(0.91 + k / 100, 12));
    expect(r.quantized.rmse).toBeCloseTo(0.94, 12);
    expect(r.quantized.quantization).toBe('q8');
    expect(r.baselines.bias.rmse).toBeCloseTo(1.3, 12);
    expect(r.cv.artifact).toBe('u5');
    expect(r.seconds.train).toBe(15);
    expect(r.seconds.epoch_median).toBeCloseTo(0.3, 12);
  });

  it('refuses a dataset without the five folds, naming what is missing', async () => {
    const mini = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/ml-100k-mini');
    await expect(crossValidate(fakePipeline([]), request(mini, path.join(fixture.dir, 'x')))).rejects.toThrow(
      /--cv runs over the official folds u1, u2, u3, u4, u5, but ml-100k-mini lacks u2, u3, u4, u5 \(it has: u1, ua\)/,
    );
  });

  it('a real pipeline: each fold tests on its own fifth, and the artifact is the u5 model', async () => {
    const out = path.join(fixture.dir, 'svdpp');
    const r = await crossValidate(svdppPipeline, request(fixture.dir, out, { options: { epochs: '3', dim: '4' } }));
    expect(r.cv.folds.map((f) => f.split)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(r.dataset.test).toBe(fixture.n / 5);
    expect(r.dataset.train).toBe(fixture.n - fixture.n / 5);
    const mean = r.cv.folds.reduce((s, f) => s + f.metrics.rmse, 0) / 5;
    expect(r.metrics.rmse).toBeCloseTo(mean, 12);
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.dataset.split).toBe('u5');
    expect(manifest.model.kind).toBe('svdpp');
    expect(manifest.metrics.float.rmse).toBeCloseTo(r.cv.folds[4].metrics.rmse, 12);
  });
});
