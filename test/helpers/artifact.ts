// Small real artifacts for tests: trained by the real pipeline on generated data with planted structure.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSynthetic } from '../../training/data/synthetic.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { trainMfPipeline } from '../../training/pipeline/train-mf.js';
import type { Bucket } from '../../training/publish/publish.js';
import type { LocalR2Bucket } from './worker.js';

export const SMALL = { users: 300, items: 240, ratingsPerUser: 30, seed: 5 } as const;

/** Trains a small mf model on synthetic data and writes its artifact to a fresh temp folder. */
export async function trainSmallArtifact(over: { seed?: number; quantization?: 'q8' | 'f16' | 'f32' } = {}): Promise<TrainReport> {
  const dataset = generateSynthetic({ ...SMALL, seed: over.seed ?? SMALL.seed });
  const out = await mkdtemp(path.join(tmpdir(), 'edgerec-artifact-'));
  return trainMfPipeline({
    dataset,
    split: 'random-80-20',
    options: { dim: 16, epochs: 25, seed: 1 },
    quantization: over.quantization ?? 'q8',
    // The Worker tests compare answers on one artifact; refit (tested in ranker-pipeline.test.ts) would only double
    // the training every one of them waits for.
    refit: 'none',
    out,
  });
}

/** The publish step's view of a Miniflare R2 bucket. */
export function bucketOf(r2: LocalR2Bucket): Bucket {
  return {
    async put(key, data) {
      await r2.put(key, typeof data === 'string' ? data : data.slice().buffer);
    },
    async get(key) {
      const obj = await r2.get(key);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
    },
  };
}
