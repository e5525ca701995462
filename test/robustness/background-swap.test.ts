// Swaps nobody waits for: once a model is live, a request whose TTL has passed answers from the live version at once
// and CURRENT (with HIDDEN) is re-read in the background (waitUntil); a new version is loaded there and swapped in.
// In workerd through Miniflare, CURRENT_TTL_SECONDS=0 so every request is due for a re-read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { pollUntil } from '../helpers/poll.js';
import { swapPair } from '../helpers/robust-models.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Answer {
  version: string;
  results: { id: string }[];
}
interface Health {
  memory: { numTensors: number; numBytes: number };
  models: { model: string; version: string | null; residentBytes: number; hidden: number; waited: number; refused?: { version: string; message: string } }[];
}

describe('swaps in the background', () => {
  let worker: StartedWorker;
  let dirs: string[];
  const similar = async () => {
    const res = await worker.fetch('/v1/models/bg/items/i0/similar?k=5');
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };
  const health = async () => (await (await worker.fetch('/healthz')).json()) as Health;

  beforeAll(async () => {
    [worker, ...dirs] = await Promise.all([
      startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }),
      ...swapPair({ items: 30, users: 3, dim: 4 }).map((m) => writeHandmadeArtifact(m)),
    ]);
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it('the first request after a publish is answered by the old version; a later one by the new; then one model is resident', async () => {
    const bucket = bucketOverR2(worker.bucket);
    const v1 = (await publishArtifact(bucket, dirs[0], 'bg', 'v1')).version;
    // The very first load of a slot is the one request that waits.
    expect((await similar()).version).toBe(v1);
    const oneModel = (await health()).memory;
    await publishArtifact(bucket, dirs[1], 'bg', 'v2');
    // Deterministic: this request finds v1 live, starts the re-read and answers without awaiting it.
    const first = await similar();
    expect(first.version).toBe('v1');
    const seen = await pollUntil('v2 answering', similar, (a) => a.version === 'v2');
    // Every answer meanwhile came from one version, and once v2 answered it stays (no flapping back).
    expect(seen.every((a) => a.version === 'v1' || a.version === 'v2')).toBe(true);
    for (let i = 0; i < 5; i++) expect((await similar()).version).toBe('v2');
    // The two versions' answers differ, so "answered by v1" above is a real check.
    expect(first.results.map((r) => r.id)).not.toEqual(seen[seen.length - 1].results.map((r) => r.id));
    // The old version was released: the same tensors as one model, as before.
    const h = await health();
    expect(h.memory).toEqual(oneModel);
    // Of all those requests only the first one waited for a load.
    expect(h.models.find((m) => m.model === 'bg')).toMatchObject({ version: 'v2', residentBytes: oneModel.numBytes, waited: 1 });
  });

  it('a version that fails validation keeps the live one serving; /healthz shows the refusal once the background load ends', async () => {
    await worker.bucket.put('bg/v3/manifest.json', '{"format": "edgerec-artifact", "formatVersion": 1,');
    await worker.bucket.put('bg/v3/tensors.bin', new Uint8Array(16).buffer);
    await worker.bucket.put('bg/v3/items.json', '{}');
    await worker.bucket.put('bg/CURRENT', 'v3');
    expect((await similar()).version).toBe('v2');
    await pollUntil('the refusal of v3', health, (h) => h.models.find((m) => m.model === 'bg')?.refused?.version === 'v3');
    const bg = (await health()).models.find((m) => m.model === 'bg')!;
    expect(bg.version).toBe('v2');
    expect(bg.refused!.message).toMatch(/^manifest\.json is not valid JSON: /);
    for (let i = 0; i < 5; i++) expect((await similar()).version).toBe('v2');
  });

  it('HIDDEN is applied by the background re-read too', async () => {
    await worker.bucket.put('bg/CURRENT', 'v2');
    const before = await similar();
    const hide = before.results[0].id;
    await worker.bucket.put('bg/HIDDEN', JSON.stringify({ items: [hide], updatedAt: '2026-12-02T00:00:00Z' }));
    const seen = await pollUntil(`${hide} hidden`, similar, (a) => !a.results.some((r) => r.id === hide));
    expect(seen[seen.length - 1].results.map((r) => r.id)).toEqual([...before.results.slice(1).map((r) => r.id), expect.any(String)]);
    expect((await health()).models.find((m) => m.model === 'bg')!.hidden).toBe(1);
  });
});
