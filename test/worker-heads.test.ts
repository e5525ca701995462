import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { predictRatings, recommendForUser } from '../shared/model/queries.js';
import { generateSynthetic } from '../training/data/synthetic.js';
import { readArtifact } from '../training/export/artifact-files.js';
import type { RatingKind } from '../training/pipeline/rating-kind.js';
import { trainRatingModel } from '../training/pipeline/rating-pipeline.js';
import { classifyKind } from '../training/pipeline/train-classify.js';
import { deepKind } from '../training/pipeline/train-deep.js';
import { hybridKind } from '../training/pipeline/train-hybrid.js';
import { publishArtifact } from '../training/publish/publish.js';
import { useWasmBackend } from '../training/tf-node.js';
import { bucketOf } from './helpers/artifact.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

interface Result {
  id: string;
  score: number;
}

// Dense-head models (q8 embeddings, f16 kernels) served by the real Worker bundle in workerd: the head forward pass
// in shared/ must give the Worker the same answers as Node on the same artifact.
const KINDS = [deepKind, hybridKind, classifyKind] as RatingKind<unknown>[];

describe('the Worker serves deep, hybrid and classify artifacts like the Node side', () => {
  let worker: StartedWorker;
  const node = new Map<string, LoadedModel>();

  beforeAll(async () => {
    const dataset = generateSynthetic({ users: 150, items: 120, ratingsPerUser: 20, seed: 13 });
    const started = startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } });
    await useWasmBackend();
    const dirs: [string, string][] = [];
    for (const kind of KINDS) {
      const out = await mkdtemp(path.join(tmpdir(), `edgerec-${kind.kind}-`));
      const options = kind.parse({ dim: '8', epochs: '2', batch: '64', hidden: '16,8' }, 2);
      await trainRatingModel(kind, { dataset, split: 'random-80-20', seed: 2, options, quantization: 'q8', out });
      dirs.push([kind.kind, out]);
    }
    worker = await started;
    for (const [name, dir] of dirs) {
      await publishArtifact(bucketOf(worker.bucket), dir, name);
      node.set(name, loadModel(name, 'node', await readArtifact(dir)));
    }
  });
  afterAll(async () => {
    for (const m of node.values()) m.dispose();
    await worker?.dispose();
  });

  it.each(KINDS.map((k) => k.kind))('%s: /rating equals the Node side within 1e-5', async (name) => {
    const m = node.get(name)!;
    expect(m.head).toBeDefined();
    for (const [u, i] of [[0, 0], [7, 17], [149, 119], [42, 3]]) {
      const res = await worker.fetch(`/v1/models/${name}/users/${m.users.ids[u]}/items/${m.items.ids[i]}/rating`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { rating: number };
      const [expected] = predictRatings(m, Int32Array.of(u), Int32Array.of(i));
      expect(Math.abs(body.rating - expected)).toBeLessThanOrEqual(1e-5);
    }
  });

  it.each(KINDS.map((k) => k.kind))('%s: /recommendations equal the Node side (same ids in order, scores within 1e-5)', async (name) => {
    const m = node.get(name)!;
    for (const u of [3, 88]) {
      const res = await worker.fetch(`/v1/models/${name}/users/${m.users.ids[u]}/recommendations?k=15`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: Result[] };
      const expected = recommendForUser(m, u, 15, true);
      expect(body.results.map((r) => r.id)).toEqual(expected.map((s) => m.items.ids[s.index]));
      body.results.forEach((r, j) => expect(Math.abs(r.score - expected[j].score)).toBeLessThanOrEqual(1e-5));
    }
  });

  it('/healthz shows the three head models loaded on the wasm backend', async () => {
    const body = (await (await worker.fetch('/healthz')).json()) as { backend: string; models: { model: string; kind: string }[] };
    expect(body.backend).toBe('wasm');
    expect(body.models.map((m) => [m.model, m.kind]).sort()).toEqual([['classify', 'classify'], ['deep', 'deep'], ['hybrid', 'hybrid']]);
  });
});
