import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { recommendForUser, similarItems } from '../../shared/model/queries.js';
import { recommendForItems } from '../../shared/model/visitor.js';
import { generateSynthetic } from '../../training/data/synthetic.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { trainIalsPipeline } from '../../training/pipeline/train-ials.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { bucketOf } from '../helpers/artifact.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Ranked {
  results: { id: string; score: number }[];
}

const dataset = generateSynthetic({ users: 60, items: 90, ratingsPerUser: 15, seed: 6 });

describe('the Worker serving a published q8 ials artifact: every route through the dot-product path', () => {
  let worker: StartedWorker;
  let node: LoadedModel;
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'edgerec-ials-worker-'));
    const [, started] = await Promise.all([
      trainIalsPipeline({ dataset, options: { seed: 3, dim: 8, epochs: 4, lambda: 2 }, quantization: 'q8', out }),
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
    ]);
    worker = started;
    await publishArtifact(bucketOf(worker.bucket), out, 'implicit');
    await useWasmBackend();
    node = loadModel('implicit', 'node', await readArtifact(out));
  });
  afterAll(async () => {
    node?.dispose();
    await worker?.dispose();
    await rm(out, { recursive: true, force: true });
  });

  const ranked = async (path: string): Promise<Ranked> => {
    const res = await worker.fetch(path);
    expect(res.status, path).toBe(200);
    return (await res.json()) as Ranked;
  };
  const same = (body: Ranked, expected: { index: number; score: number }[]) => {
    expect(body.results.map((r) => r.id)).toEqual(expected.map((s) => node.items.ids[s.index]));
    body.results.forEach((r, j) => expect(Math.abs(r.score - expected[j].score)).toBeLessThanOrEqual(1e-4));
  };

  it('a user\'s recommendations and similar items are the Node side\'s, from the int8 tables', async () => {
    for (const u of [0, 33, 59]) same(await ranked(`/v1/models/implicit/users/${dataset.userIds[u]}/recommendations?k=8`), recommendForUser(node, u, 8, true));
    const body = await ranked(`/v1/models/implicit/items/${dataset.itemIds[5]}/similar?k=6`);
    expect(body.results.map((r) => r.id)).toEqual(similarItems(node, 5, 6).map((s) => node.items.ids[s.index]));
  });

  it("a visitor's items are folded in with the trainer's own alpha and lambda, as the Node side does", async () => {
    const items = [2, 17, 40];
    const body = await ranked(`/v1/models/implicit/recommendations?items=${items.map((i) => dataset.itemIds[i]).join(',')}&k=7`);
    same(body, recommendForItems(node, Int32Array.from(items), 7));
  });

  it('has no rating scale: /predict answers 400 no_ratings', async () => {
    const res = await worker.fetch('/v1/models/implicit/predict', {
      method: 'POST',
      body: JSON.stringify({ pairs: [[dataset.userIds[0], dataset.itemIds[0]]] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/no_ratings/);
  });
});
