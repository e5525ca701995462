import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { recommendForUser } from '../shared/model/queries.js';
import { readArtifact } from '../training/export/artifact-files.js';
import { publishArtifact } from '../training/publish/publish.js';
import { useWasmBackend } from '../training/tf-node.js';
import { bucketOf } from './helpers/artifact.js';
import { trainSmallArtifact } from './helpers/handmade-artifact.js';
import { pollUntil } from './helpers/poll.js';
import { startWorker, type StartedWorker } from './helpers/worker.js';

interface Result {
  id: string;
  title: string;
  score: number;
}
interface ErrorBody {
  error: { code: string; message: string };
}

describe('the Worker in workerd serving an artifact from local R2', () => {
  let worker: StartedWorker;
  let node: LoadedModel;
  let version: string;
  let artifactDir: string;

  beforeAll(async () => {
    const [report, started] = await Promise.all([trainSmallArtifact(), startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } })]);
    worker = started;
    artifactDir = report.out;
    await useWasmBackend();
    node = loadModel('demo', 'node', await readArtifact(artifactDir));
  });
  afterAll(async () => {
    node?.dispose();
    await worker?.dispose();
  });

  const get = async <T>(path: string) => {
    const res = await worker.fetch(path);
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  };

  it('answers 503 with the JSON envelope before anything is published', async () => {
    const { status, body } = await get<ErrorBody>('/v1/models/demo/items/1/similar');
    expect(status).toBe(503);
    expect(body.error.code).toBe('no_model');
    expect(body.error.message).toMatch(/npm run publish/);
  });

  it('publishes: the version folder is verified before CURRENT moves', async () => {
    const published = await publishArtifact(bucketOf(worker.bucket), artifactDir, 'demo');
    version = published.version;
    expect(published.previous).toBeNull();
    expect(version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(await (await worker.bucket.get('demo/CURRENT'))!.text()).toBe(version);
  });

  it('exclude_seen=false lets seen items back in', async () => {
    const userIndex = 7;
    const { body } = await get<{ results: Result[] }>(`/v1/models/demo/users/${node.users.ids[userIndex]}/recommendations?k=30&exclude_seen=false`);
    const expected = recommendForUser(node, userIndex, 30, false);
    expect(body.results.map((r) => r.id)).toEqual(expected.map((s) => node.items.ids[s.index]));
  });

  it.each([
    ['/v1/models/demo/items/1/similar?k=0', 400, 'bad_k'],
    ['/v1/models/demo/items/1/similar?k=101', 400, 'bad_k'],
    ['/v1/models/demo/items/1/similar?k=ten', 400, 'bad_k'],
    ['/v1/models/demo/items/1/similar?k=1.5', 400, 'bad_k'],
    ['/v1/models/demo/users/1/recommendations?exclude_seen=maybe', 400, 'bad_exclude_seen'],
    ['/v1/models/Bad%20Name/items/1/similar', 400, 'bad_model_name'],
    ['/v1/models/demo/items/no-such-item/similar', 404, 'unknown_item'],
    ['/v1/models/demo/recommendations?items=no-such-item', 404, 'unknown_item'],
    ['/v1/models/demo/users/1/recommendations?explain=maybe', 400, 'bad_explain'],
    ['/v1/models/demo/users/no-such-user/items/1/rating', 404, 'unknown_user'],
    ['/v1/models/other/items/1/similar', 404, 'unknown_model'],
    ['/v1/nothing-here', 404, 'no_route'],
  ])('GET %s -> %i %s', async (path, status, code) => {
    const res = await get<ErrorBody>(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message.length).toBeGreaterThan(10);
  });

  it('the 404 for an unknown item names it', async () => {
    const { body } = await get<ErrorBody>('/v1/models/demo/items/no-such-item/similar');
    expect(body.error.message).toBe('item "no-such-item" is not in model "demo"');
  });

  it('/healthz?tfjs reports the wasm backend and the loaded version', async () => {
    const { body } = await get<{ backend: string; models: { model: string; version: string }[] }>('/healthz?tfjs');
    expect(body.backend).toBe('wasm');
    expect(body.models.map((m) => [m.model, m.version])).toEqual([['demo', version]]);
  });

  it('refuses a corrupted new version and keeps serving the previous one', async () => {
    const bad = 'demo/broken-1';
    for (const f of ['manifest.json', 'items.json']) {
      await worker.bucket.put(`${bad}/${f}`, await (await worker.bucket.get(`demo/${version}/${f}`))!.arrayBuffer());
    }
    const tensors = new Uint8Array(await (await worker.bucket.get(`demo/${version}/tensors.bin`))!.arrayBuffer());
    tensors[100] ^= 0xff;
    await worker.bucket.put(`${bad}/tensors.bin`, tensors.buffer);
    await worker.bucket.put('demo/CURRENT', 'broken-1');

    const { status, body } = await get<{ version: string }>(`/v1/models/demo/items/${node.items.ids[0]}/similar`);
    expect(status).toBe(200);
    expect(body.version).toBe(version);
    // That request loads broken-1 in the background (and keeps answering from the live version): wait for the verdict.
    type Models = { models: { version: string; refused?: { version: string; message: string } }[] };
    await pollUntil('the refusal of broken-1', () => get<Models>('/healthz'), (h) => h.body.models[0].refused?.version === 'broken-1');
    const health = await get<{ models: { version: string; refused?: { version: string; message: string } }[] }>('/healthz');
    expect(health.body.models[0].version).toBe(version);
    expect(health.body.models[0].refused?.version).toBe('broken-1');
    expect(health.body.models[0].refused?.message).toMatch(/checksum mismatch/);
    await worker.bucket.put('demo/CURRENT', version);
  });
});
