// A bad publish must never take recommendations down or serve wrong ones: each broken version is refused at load
// with a message naming the problem, the previous version keeps serving, /healthz reports the refusal, and the
// refused load leaves no tensor behind. Without any good version the model answers 503 model_unavailable.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { encodeTensors, packArtifact } from '../../shared/artifact/encode.js';
import { ARTIFACT_FILES, type Manifest } from '../../shared/artifact/schema.js';
import { sha256Hex } from '../../shared/artifact/sha256.js';
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { writeHandmadeArtifact } from '../helpers/handmade-artifact.js';
import { swapPair } from '../helpers/robust-models.js';
import { pollUntil } from '../helpers/poll.js';
import { startWorker, type StartedWorker } from '../helpers/worker.js';

interface Files {
  manifest?: string;
  tensors?: Uint8Array;
  items?: string;
}

interface Health {
  memory: { numTensors: number; numBytes: number };
  models: { model: string; version: string | null; residentBytes: number; refused?: { version: string; message: string; at: string } }[];
}

/** Writes `value` into tensor `name` at flat index `at` (f32), then fixes the checksum so only the value is wrong. */
async function withValue(f: Required<Files>, name: string, at: number, value: number): Promise<Files> {
  const m = JSON.parse(f.manifest) as Manifest;
  const e = m.tensors.find((t) => t.name === name)!;
  const tensors = f.tensors.slice();
  new DataView(tensors.buffer).setFloat32(e.offset + at * 4, value, true);
  m.tensorsSha256 = await sha256Hex(tensors);
  return { manifest: JSON.stringify(m), tensors, items: f.items };
}

/** The same model with item_factors stored q8 (one f32 scale per row), checksum and table consistent. */
async function asQ8(f: Required<Files>): Promise<Required<Files>> {
  const decoded = await decodeArtifact(f.manifest, f.tensors, f.items);
  const enc = await encodeTensors(
    [...decoded.tensors].map(([name, t]) => ({ name, data: t.data, shape: t.shape, dtype: name === 'item_factors' ? 'q8' : 'f32' })),
  );
  const m = JSON.parse(f.manifest) as Manifest;
  // Re-packed with the same catalogue (format 2 keeps it in tensors.bin).
  const packed = await packArtifact({ ...m, tensors: enc.entries }, enc.bytes, decoded.items);
  return { manifest: packed.manifestText, tensors: packed.tensors, items: packed.itemsText };
}

const edit = (f: Required<Files>, change: (m: Manifest) => void): Files => {
  const m = JSON.parse(f.manifest) as Manifest;
  change(m);
  return { ...f, manifest: JSON.stringify(m) };
};

describe('bad artifacts are refused at load; the previous version keeps serving', () => {
  let worker: StartedWorker;
  let good: string;
  let files: Required<Files>;
  const items = 40;
  const dim = 8;

  const get = async <T>(path: string) => {
    const res = await worker.fetch(path);
    return { status: res.status, body: (await res.json()) as T };
  };
  const health = async (w = worker) => (await (await w.fetch('/healthz')).json()) as Health;
  const modelHealth = async (name: string, w = worker) => (await health(w)).models.find((m) => m.model === name)!;

  async function upload(w: StartedWorker, model: string, version: string, f: Files): Promise<void> {
    if (f.manifest !== undefined) await w.bucket.put(`${model}/${version}/${ARTIFACT_FILES.manifest}`, f.manifest);
    if (f.tensors !== undefined) await w.bucket.put(`${model}/${version}/${ARTIFACT_FILES.tensors}`, f.tensors.slice().buffer);
    if (f.items !== undefined) await w.bucket.put(`${model}/${version}/${ARTIFACT_FILES.items}`, f.items);
  }

  beforeAll(async () => {
    const [w, dir] = await Promise.all([startWorker({ bindings: { CURRENT_TTL_SECONDS: '0' } }), writeHandmadeArtifact(swapPair({ items, users: 5, dim })[0])]);
    worker = w;
    good = (await publishArtifact(bucketOverR2(worker.bucket), dir, 'demo')).version;
    files = {
      manifest: await readFile(join(dir, ARTIFACT_FILES.manifest), 'utf8'),
      tensors: new Uint8Array(await readFile(join(dir, ARTIFACT_FILES.tensors))),
      items: await readFile(join(dir, ARTIFACT_FILES.items), 'utf8'),
    };
    expect((await get('/v1/models/demo/items/i0/similar')).status).toBe(200);
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  const q8 = () => asQ8(files);
  const CASES: [string, () => Files | Promise<Files>, RegExp][] = [
    ['truncated', () => ({ ...files, tensors: files.tensors.slice(0, files.tensors.length - 100) }), /^tensors\.bin is \d+ bytes but the manifest says \d+: the upload is truncated or from another version$/],
    ['empty-tensors', () => ({ ...files, tensors: new Uint8Array(0) }), /^tensors\.bin is 0 bytes but the manifest says \d+/],
    ['flipped-byte', () => { const t = files.tensors.slice(); t[123] ^= 0x40; return { ...files, tensors: t }; }, /^tensors\.bin checksum mismatch: sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}$/],
    ['shape-vs-bytes', () => edit(files, (m) => (m.tensors.find((t) => t.name === 'item_factors')!.shape = [items, dim + 1])), new RegExp(`^tensor item_factors: shape \\[${items},${dim + 1}\\] as f32 needs \\d+ bytes, the table says ${items * dim * 4}$`)],
    ['shape-vs-counts', () => edit(files, (m) => (m.tensors.find((t) => t.name === 'item_factors')!.shape = [dim, items])), new RegExp(`^tensor item_factors has shape \\[${dim},${items}\\], the manifest's counts need \\[${items},\\d+\\]$`)],
    ['offset-outside', () => edit(files, (m) => (m.tensors.find((t) => t.name === 'item_factors')!.offset = 1 << 20)), /^tensor item_factors: bytes \d+\.\.\d+ are not an aligned range inside tensors\.bin/],
    ['nan-weight', () => withValue(files, 'item_factors', 17, Number.NaN), /^tensor item_factors: value NaN at flat index 17 is not finite$/],
    ['inf-bias', () => withValue(files, 'user_bias', 2, Number.POSITIVE_INFINITY), /^tensor user_bias: value Infinity at flat index 2 is not finite$/],
    ['inf-q8-scale', async () => {
      const f = await q8();
      const m = JSON.parse(f.manifest) as Manifest;
      const scale = m.tensors.find((t) => t.name === 'item_factors.scale')!;
      const t = f.tensors.slice();
      new DataView(t.buffer).setFloat32(scale.offset + 3 * 4, Number.POSITIVE_INFINITY, true);
      m.tensorsSha256 = await sha256Hex(t);
      return { ...f, manifest: JSON.stringify(m), tensors: t };
    }, new RegExp(`^tensor item_factors: value (-?Infinity|NaN) at flat index ${3 * dim}\\d* is not finite$`)],
    ['format-99', () => edit(files, (m) => (m.formatVersion = 99)), /^artifact format version 99 is not supported \(this build reads version 2\): retrain or upgrade edgerec$/],
    // Format 1 kept the catalogue as JSON in items.json; its artifacts are refused, not converted.
    ['format-1', () => edit(files, (m) => (m.formatVersion = 1)), /^artifact format version 1 is not supported \(this build reads version 2\): retrain with this version of edgerec, or republish$/],
    ['not-a-manifest', () => ({ ...files, manifest: '{"hello": "world"}' }), /^manifest\.json is not an edgerec artifact manifest \(format: undefined\)$/],
    ['garbage-manifest', () => ({ ...files, manifest: '{"format": "edgerec-artifact", "formatVersion": 1,' }), /^manifest\.json is not valid JSON: /],
    ['garbage-items', () => ({ ...files, items: '\u0000\u0001 not json' }), /^items\.json is not valid JSON: /],
    // Format 2: the item list is tensors.bin's catalogue blocks, so a miscount is a block whose length disagrees with
    // manifest.counts (checked in every isolate: it is O(1)), and a dropped block is named.
    ['items-miscounted', () => edit(files, (m) => Object.assign(m.tensors.find((t) => t.name === 'catalog.item_ids.order')!, { shape: [items - 1], length: (items - 1) * 4 })), new RegExp(`^tensor catalog\\.item_ids\\.order has ${items - 1} entries, the manifest's counts need ${items}$`)],
    ['catalogue-block-missing', () => edit(files, (m) => (m.tensors = m.tensors.filter((t) => t.name !== 'catalog.titles'))), /^tensors\.bin lacks the catalogue block catalog\.titles$/],
    ['items-json-v1', () => ({ ...files, items: JSON.stringify({ items: [], users: [] }) }), /^items\.json lacks its itemTags list \(the item tag vocabulary\)$/],
    ['missing-items', () => ({ manifest: files.manifest, tensors: files.tensors }), /^CURRENT names version missing-items, but demo\/missing-items\/items\.json is missing$/],
    ['missing-version', () => ({}), /^CURRENT names version missing-version, but demo\/missing-version\/(manifest\.json|tensors\.bin|items\.json) is missing$/],
  ];

  it.each(CASES)('%s: refused with a message naming the problem; the previous version answers; /healthz says why', async (version, make, message) => {
    const before = await health();
    await upload(worker, 'demo', version, await make());
    await worker.bucket.put('demo/CURRENT', version);

    const { status, body } = await get<{ version: string; results: unknown[] }>('/v1/models/demo/items/i0/similar?k=3');
    expect(status).toBe(200);
    expect(body.version).toBe(good);
    expect(body.results).toHaveLength(3);
    // That request answered from the live version and loads the new one in the background: wait for the verdict.
    await pollUntil(`refusal of ${version}`, health, (h) => h.models.find((m) => m.model === 'demo')?.refused?.version === version);
    const after = await health();
    const demo = after.models.find((m) => m.model === 'demo')!;
    expect(demo.version).toBe(good);
    expect(demo.refused?.version).toBe(version);
    expect(demo.refused?.message).toMatch(message);
    // The refused load left nothing in the backend: the same tensors as before, one model's bytes.
    expect(after.memory).toEqual(before.memory);
    expect(after.memory.numBytes).toBe(demo.residentBytes);
  });

  it('CURRENT holding something that is not a version name (a path, markup, a newline) is refused without a lookup', async () => {
    await worker.bucket.put('demo/CURRENT', '../../etc/passwd\n<script>');
    expect((await get<{ version: string }>('/v1/models/demo/items/i0/similar')).body.version).toBe(good);
    await pollUntil('the refusal', () => modelHealth('demo'), (m) => m.refused?.message.startsWith('demo/CURRENT holds') === true);
    const demo = await modelHealth('demo');
    expect(demo.version).toBe(good);
    expect(demo.refused?.message).toBe('demo/CURRENT holds "../../etc/passwd\\n<script>", which is not a version name: publish or roll back to fix it');
  });

  it('when CURRENT names the live version again (a rollback), the refusal is cleared from /healthz', async () => {
    await worker.bucket.put('demo/CURRENT', good);
    expect((await get<{ version: string }>('/v1/models/demo/items/i0/similar')).body.version).toBe(good);
    await pollUntil('the refusal cleared', () => modelHealth('demo'), (m) => m.refused === undefined);
    expect((await modelHealth('demo')).version).toBe(good);
  });

  it('a model with no good version answers 503 model_unavailable with the reason, and recovers when a good one is published', async () => {
    await upload(worker, 'lonely', 'v1', { ...files, tensors: files.tensors.slice(0, 64) });
    await worker.bucket.put('lonely/CURRENT', 'v1');
    for (const path of ['/v1/models/lonely/items/i0/similar', '/v1/models/lonely/users/u1/recommendations', '/widget/lonely/items/i0']) {
      const { status, body } = await get<{ error: { code: string; message: string } }>(path);
      expect(status).toBe(503);
      expect(body.error.code).toBe('model_unavailable');
      expect(body.error.message).toMatch(/^model "lonely" failed to load: tensors\.bin is 64 bytes but the manifest says \d+: the upload is truncated or from another version$/);
    }
    const lonely = await modelHealth('lonely');
    expect([lonely.version, lonely.refused?.version]).toEqual([null, 'v1']);
    await upload(worker, 'lonely', 'v2', files);
    await worker.bucket.put('lonely/CURRENT', 'v2');
    expect((await get<{ version: string }>('/v1/models/lonely/items/i0/similar')).body.version).toBe('v2');
  });

  it('with nothing live, a refused version is not fetched again on every request: only after CURRENT_TTL_SECONDS', async () => {
    const slow = await startWorker({ bindings: { CURRENT_TTL_SECONDS: '3600' } });
    try {
      await upload(slow, 'lonely', 'v1', { ...files, tensors: files.tensors.slice(0, 64) });
      await slow.bucket.put('lonely/CURRENT', 'v1');
      const first = await slow.fetch('/v1/models/lonely/items/i0/similar');
      expect(first.status).toBe(503);
      await first.arrayBuffer();
      const at = (await modelHealth('lonely', slow)).refused!.at;
      // Even a fixed artifact under the same version is not looked at again until the TTL has passed.
      await upload(slow, 'lonely', 'v1', files);
      const again = await Promise.all(Array.from({ length: 20 }, () => slow.fetch('/v1/models/lonely/items/i0/similar')));
      expect(again.map((r) => r.status)).toEqual(Array(20).fill(503));
      await Promise.all(again.map((r) => r.arrayBuffer()));
      expect((await modelHealth('lonely', slow)).refused!.at).toBe(at);
    } finally {
      await slow.dispose();
    }
  });
});
