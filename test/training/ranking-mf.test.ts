import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readArtifact } from '../../training/export/artifact-files.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { trainMfPipeline } from '../../training/pipeline/train-mf.js';

const RANKING_KEYS = ['auc', 'precision_at_10', 'recall_at_10', 'ndcg_at_10', 'map_at_10'];

describe('mf on the ranking split: also judged as a ranker', () => {
  it('adds the ranking metrics, most-popular and their int8 re-measurement, and keeps rmse/mae', async () => {
    const ds = generateSynthetic({ users: 60, items: 80, ratingsPerUser: 16, seed: 8 });
    const out = await mkdtemp(path.join(tmpdir(), 'edgerec-mf-rank-'));
    const r = await trainMfPipeline({ dataset: ds, split: 'ranking-75-25', options: { seed: 1, epochs: 3, dim: 4 }, quantization: 'q8', out });
    expect(r.split).toBe('ranking-75-25');
    expect(r.dataset.test).toBe(60 * 4); // 16 ratings per user: 12 train, 4 test
    for (const k of ['rmse', 'mae', ...RANKING_KEYS]) {
      expect(Number.isFinite(r.metrics[k]), k).toBe(true);
      expect(Math.abs((r.quantized[k] as number) - r.metrics[k]), k).toBeLessThan(0.03);
    }
    for (const k of RANKING_KEYS) expect(Number.isFinite(r.baselines.most_popular[k]), k).toBe(true);
    expect(Object.keys(r.baselines).sort()).toEqual(['bias', 'global_mean', 'most_popular']);
    const manifest = (await readArtifact(out)).manifest;
    expect(manifest.metrics.quantized.ndcg_at_10).toBe(r.quantized.ndcg_at_10);
  });

  it('leaves the rating-only report unchanged on other splits', async () => {
    const ds = generateSynthetic({ users: 30, items: 40, ratingsPerUser: 10, seed: 8 });
    const out = await mkdtemp(path.join(tmpdir(), 'edgerec-mf-rank-'));
    const r = await trainMfPipeline({ dataset: ds, split: 'random-80-20', options: { seed: 1, epochs: 2, dim: 4 }, quantization: 'q8', out });
    expect(Object.keys(r.metrics).sort()).toEqual(['mae', 'rmse']);
    expect(Object.keys(r.baselines).sort()).toEqual(['bias', 'global_mean']);
  });
});
