import { describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { encodeTensors, type TensorInput } from '../../shared/artifact/encode.js';
import { FORMAT_NAME, FORMAT_VERSION, type ItemsFile, type Manifest } from '../../shared/artifact/schema.js';

const inputs: TensorInput[] = [
  { name: 'item_factors', data: Float32Array.of(1, 2, 3, -4, 0.5, 0.25), shape: [3, 2], dtype: 'q8' },
  { name: 'item_bias', data: Float32Array.of(0.1, -0.2, 0.3), shape: [3], dtype: 'f32' },
  { name: 'user_factors', data: Float32Array.of(0.5, -1.5), shape: [1, 2], dtype: 'f16' },
];

const items: ItemsFile = {
  items: [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }],
  users: ['u1'],
  seen: { indptr: [0, 2], indices: [0, 2] },
};

async function build(over: Partial<Manifest> = {}) {
  const enc = await encodeTensors(inputs);
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: 'mf', hyper: {} },
    counts: { users: 1, items: 3 },
    tensors: enc.entries,
    tensorsSha256: enc.sha256,
    tensorsBytes: enc.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: 't', fingerprint: 'x', ratings: 2, split: 's' },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
  return { enc, manifest };
}

describe('artifact encode/decode', () => {
  it('lays tensors out 16-byte aligned with a scale tensor per q8 matrix', async () => {
    const { enc } = await build();
    expect(enc.entries.map((e) => [e.name, e.dtype, e.offset, e.length])).toEqual([
      ['item_factors', 'q8', 0, 6],
      ['item_factors.scale', 'f32', 16, 12],
      ['item_bias', 'f32', 32, 12],
      ['user_factors', 'f16', 48, 4],
    ]);
    expect(enc.bytes.byteLength).toBe(52);
    expect(enc.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('round-trips: f32 exactly, f16 and q8 within their bounds', async () => {
    const { enc, manifest } = await build();
    const d = await decodeArtifact(JSON.stringify(manifest), enc.bytes, JSON.stringify(items));
    expect(Array.from(d.tensors.get('item_bias')!.data)).toEqual(Array.from(Float32Array.of(0.1, -0.2, 0.3)));
    expect(Array.from(d.tensors.get('user_factors')!.data)).toEqual([0.5, -1.5]);
    const q = d.tensors.get('item_factors')!;
    expect(q.shape).toEqual([3, 2]);
    const orig = [1, 2, 3, -4, 0.5, 0.25];
    q.data.forEach((v, i) => {
      const rowMax = Math.max(Math.abs(orig[i - (i % 2)]), Math.abs(orig[i - (i % 2) + 1]));
      expect(Math.abs(v - orig[i])).toBeLessThanOrEqual(rowMax / 254 + 1e-7);
    });
    expect(d.tensors.has('item_factors.scale')).toBe(false);
  });

  it('works on a Uint8Array that does not start at an aligned offset', async () => {
    const { enc, manifest } = await build();
    const shifted = new Uint8Array(enc.bytes.byteLength + 3);
    shifted.set(enc.bytes, 3);
    const d = await decodeArtifact(JSON.stringify(manifest), shifted.subarray(3), JSON.stringify(items));
    expect(d.tensors.get('item_bias')!.data[2]).toBeCloseTo(0.3, 7);
  });

  it('refuses a flipped byte with a checksum error', async () => {
    const { enc, manifest } = await build();
    const bad = enc.bytes.slice();
    bad[20] ^= 0xff;
    await expect(decodeArtifact(JSON.stringify(manifest), bad, JSON.stringify(items))).rejects.toThrow(/checksum mismatch/);
  });

  it('refuses a truncated tensors.bin', async () => {
    const { enc, manifest } = await build();
    await expect(decodeArtifact(JSON.stringify(manifest), enc.bytes.subarray(0, 40), JSON.stringify(items))).rejects.toThrow(
      /tensors.bin is 40 bytes but the manifest says 52/,
    );
  });

  it('refuses an unknown format version and says what to do', async () => {
    const { enc, manifest } = await build({ formatVersion: 99 });
    await expect(decodeArtifact(JSON.stringify(manifest), enc.bytes, JSON.stringify(items))).rejects.toThrow(
      /format version 99 is not supported.*retrain or upgrade/,
    );
  });

  it('refuses a shape that disagrees with the bytes', async () => {
    const { enc, manifest } = await build();
    manifest.tensors[2].shape = [4];
    await expect(decodeArtifact(JSON.stringify(manifest), enc.bytes, JSON.stringify(items))).rejects.toThrow(
      /tensor item_bias: shape \[4\] as f32 needs 16 bytes, the table says 12/,
    );
  });

  it('refuses non-finite weights, naming the tensor', async () => {
    const enc = await encodeTensors([{ name: 'item_bias', data: Float32Array.of(1, NaN, 0), shape: [3], dtype: 'f32' }]);
    const { manifest } = await build({ tensors: enc.entries, tensorsSha256: enc.sha256, tensorsBytes: enc.bytes.byteLength });
    await expect(decodeArtifact(JSON.stringify(manifest), enc.bytes, JSON.stringify(items))).rejects.toThrow(
      /tensor item_bias: value NaN at flat index 1 is not finite/,
    );
  });

  it('refuses items.json that disagrees with the counts', async () => {
    const { enc, manifest } = await build();
    const wrong = { ...items, items: items.items.slice(0, 2) };
    await expect(decodeArtifact(JSON.stringify(manifest), enc.bytes, JSON.stringify(wrong))).rejects.toThrow(
      /items.json lists 2 items, the manifest counts 3/,
    );
  });

  it.each([
    ['a duplicate item id', { items: [{ id: 'a', title: 'A' }, { id: 'a', title: 'B' }, { id: 'c', title: 'C' }] }, /lists item id "a" twice \(again at index 1\)/],
    ['a numeric item id', { items: [{ id: 1, title: 'A' }, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }] }, /item id at index 0 is 1, not a non-empty string/],
    ['a null item', { items: [null, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }] }, /items\[0\] is null, not an object/],
    ['tags that are not a list', { items: [{ id: 'a', title: 'A', tags: 'Action' }, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }] }, /items\[0\].tags is "Action", not a list of strings/],
    ['a duplicate user id', { users: ['u1', 'u1'], seen: { indptr: [0, 1, 2], indices: [0, 1] } }, /lists 2 users|lists user id "u1" twice/],
  ] as [string, Record<string, unknown>, RegExp][])('refuses items.json with %s', async (_what, patch, message) => {
    const { enc, manifest } = await build(patch.users ? { counts: { users: 2, items: 3 } } : {});
    await expect(decodeArtifact(JSON.stringify(manifest), enc.bytes, JSON.stringify({ ...items, ...patch }))).rejects.toThrow(message);
  });
});
