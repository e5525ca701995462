import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { similarItems } from '../../shared/model/queries.js';
import { tagNamesOf } from '../../training/data/item-tag-dataset.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { trainItemTagPipeline } from '../../training/pipeline/train-itemtag.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { bucketOf } from '../helpers/artifact.js';
import { plantedItemTags } from '../helpers/itemtag-synthetic.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Similar {
  item: { id: string; tags: string[] };
  results: { id: string; title: string; tags: string[]; score: number }[];
}

const { dataset } = plantedItemTags();
const tagsOf = new Map(dataset.itemIds.map((id, i) => [id, tagNamesOf(dataset)[i]]));

describe('the Worker serving a published itemtag artifact (no users)', () => {
  let worker: StartedWorker;
  let node: LoadedModel;
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'edgerec-itemtag-worker-'));
    const [, started] = await Promise.all([
      trainItemTagPipeline({ dataset, split: 'none', options: { seed: 2, dim: 16, epochs: 20 }, quantization: 'q8', out }),
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
    ]);
    worker = started;
    await publishArtifact(bucketOf(worker.bucket), out, 'games');
    await useWasmBackend();
    node = loadModel('games', 'node', await readArtifact(out));
  });
  afterAll(async () => {
    node?.dispose();
    await worker?.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('GET /items/:item/similar answers items sharing tags, the same ids and scores as the Node side', async () => {
    for (const index of [0, 42, 300]) {
      const id = dataset.itemIds[index];
      const res = await worker.fetch(`/v1/models/games/items/${id}/similar?k=10`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Similar;
      expect(body.item).toMatchObject({ id, tags: tagsOf.get(id) });
      const expected = similarItems(node, index, 10);
      expect(body.results.map((r) => r.id)).toEqual(expected.map((s) => node.items.ids[s.index]));
      body.results.forEach((r, j) => expect(Math.abs(r.score - expected[j].score)).toBeLessThanOrEqual(1e-5));
      const sharing = body.results.filter((r) => r.tags.some((t) => tagsOf.get(id)!.includes(t)));
      expect(sharing.length).toBeGreaterThanOrEqual(9);
    }
  });

  it('recommendations for a user are a clear 404: the model has no users', async () => {
    const res = await worker.fetch('/v1/models/games/users/1/recommendations');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: 'unknown_user', message: 'user "1" is not in model "games"' });
  });

  it('GET /v1/models lists it as kind itemtag with its tag overlap', async () => {
    const body = (await (await worker.fetch('/v1/models')).json()) as { models: { name: string; kind: string; metrics: { quantized: Record<string, number> } }[] };
    const m = body.models.find((x) => x.name === 'games')!;
    expect(m.kind).toBe('itemtag');
    expect(m.metrics.quantized.tag_overlap_at_10).toBeGreaterThan(0.4);
  });
});
