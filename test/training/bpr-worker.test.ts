import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { recommendForUser, similarItems } from '../../shared/model/queries.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { trainBprPipeline } from '../../training/pipeline/train-bpr.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { bucketOf } from '../helpers/artifact.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Ranked {
  results: { id: string; score: number }[];
}

const dataset = generateSynthetic({ users: 60, items: 90, ratingsPerUser: 15, seed: 6 });

describe('the Worker serving a published bpr artifact, unchanged', () => {
  let worker: StartedWorker;
  let node: LoadedModel;
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'edgerec-bpr-worker-'));
    const [, started] = await Promise.all([
      trainBprPipeline({ dataset, options: { seed: 3, itemDim: 12, tagDim: 4, epochs: 5 }, quantization: 'q8', out }),
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
    ]);
    worker = started;
    await publishArtifact(bucketOf(worker.bucket), out, 'ranker');
    await useWasmBackend();
    node = loadModel('ranker', 'node', await readArtifact(out));
  });
  afterAll(async () => {
    node?.dispose();
    await worker?.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('recommendations: the dot-product top k without seen items, as the Node side ranks them', async () => {
    for (const u of [0, 17, 59]) {
      const res = await worker.fetch(`/v1/models/ranker/users/${dataset.userIds[u]}/recommendations?k=8`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Ranked;
      const expected = recommendForUser(node, u, 8, true);
      expect(body.results.map((r) => r.id)).toEqual(expected.map((s) => node.items.ids[s.index]));
      body.results.forEach((r, j) => expect(Math.abs(r.score - expected[j].score)).toBeLessThanOrEqual(1e-4));
    }
  });

  it('similar items: cosine of the ELU representation, as 002 ranks movies', async () => {
    const res = await worker.fetch(`/v1/models/ranker/items/${dataset.itemIds[5]}/similar?k=6`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Ranked;
    expect(body.results.map((r) => r.id)).toEqual(similarItems(node, 5, 6).map((s) => node.items.ids[s.index]));
  });

  it('lists the model with its kind and ranking metrics', async () => {
    const res = await worker.fetch('/v1/models');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"bpr"');
    expect(text).toContain('ndcg_at_10');
  });
});
