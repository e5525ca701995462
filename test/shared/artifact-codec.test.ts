import { describe, expect, it } from 'vitest';
import { CATALOG_TENSORS } from '../../shared/artifact/catalog.js';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { encodeTensors, packArtifact, type TensorInput } from '../../shared/artifact/encode.js';
import { rowFactorsQ8 } from '../../shared/artifact/q8.js';
import { FORMAT_NAME, FORMAT_VERSION, type ItemsFile, type Manifest } from '../../shared/artifact/schema.js';
import { sha256Hex } from '../../shared/artifact/sha256.js';
import { StringTable } from '../../shared/artifact/strings.js';
import { HOSTILE_ITEM_IDS } from '../helpers/robust-models.js';

const inputs: TensorInput[] = [
  { name: 'item_factors', data: Float32Array.of(1, 2, 3, -4, 0.5, 0.25), shape: [3, 2], dtype: 'q8' },
  { name: 'item_bias', data: Float32Array.of(0.1, -0.2, 0.3), shape: [3], dtype: 'f32' },
  { name: 'user_factors', data: Float32Array.of(0.5, -1.5), shape: [1, 2], dtype: 'f16' },
];

/** A tiny catalogue with a non-ASCII id and title, tags in a non-sorted order, one user. */
const items: ItemsFile = {
  items: [
    { id: 'b', title: 'B', tags: ['x'] },
    { id: 'ü', title: 'Ü' },
    { id: 'a', title: 'A', tags: ['y', 'x'] },
  ],
  users: ['u1'],
  seen: { indptr: [0, 2], indices: [0, 2] },
};

async function build(over: Partial<Manifest> = {}, its: ItemsFile = items) {
  const enc = await encodeTensors(inputs);
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { kind: 'mf', hyper: {} },
    counts: { users: its.users.length, items: its.items.length },
    tensors: enc.entries,
    tensorsSha256: enc.sha256,
    tensorsBytes: enc.bytes.byteLength,
    metrics: { float: {}, quantized: {}, baselines: {} },
    dataset: { name: 't', fingerprint: 'x', ratings: 2, split: 's' },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
  return { enc, packed: await packArtifact(manifest, enc.bytes, its) };
}

const decode = (p: { manifestText: string; tensors: Uint8Array; itemsText: string }, verify?: 'full' | 'checksum') =>
  decodeArtifact(p.manifestText, p.tensors, p.itemsText, { verify });

/** Rewrites manifest fields (and optionally bytes), fixing the checksum so only the edit is wrong. */
async function tamper(p: { manifest: Manifest; tensors: Uint8Array; itemsText: string }, bytes?: (b: Uint8Array, m: Manifest) => void, change?: (m: Manifest) => void) {
  const m = structuredClone(p.manifest);
  const t = p.tensors.slice();
  bytes?.(t, m);
  change?.(m);
  m.tensorsSha256 = await sha256Hex(t);
  return { manifestText: JSON.stringify(m), tensors: t, itemsText: p.itemsText };
}

const block = (m: Manifest, name: string) => m.tensors.find((t) => t.name === name)!;

describe('artifact encode/decode (format 2)', () => {
  it('lays tensors out 16-byte aligned; a q8 matrix gets its scale and norm tensors', async () => {
    const { enc } = await build();
    expect(enc.entries.map((e) => [e.name, e.dtype, e.offset, e.length])).toEqual([
      ['item_factors', 'q8', 0, 6],
      ['item_factors.scale', 'f32', 16, 12],
      ['item_factors.norm', 'f32', 32, 12],
      ['item_bias', 'f32', 48, 12],
      ['user_factors', 'f16', 64, 4],
    ]);
    expect(enc.bytes.byteLength).toBe(68);
    // The stored norms are the codes' (what load would otherwise compute in a pass over them).
    const codes = new Int8Array(enc.bytes.buffer, 0, 6);
    const scales = new Float32Array(enc.bytes.buffer, 16, 3);
    expect(Array.from(new Float32Array(enc.bytes.buffer, 32, 3))).toEqual(Array.from(rowFactorsQ8(codes, scales, 3, 2).norms));
  });

  it('packs the catalogue into tensors.bin: exact bytes of every block, items.json holds the tag vocabulary only', async () => {
    const { packed } = await build();
    const T = CATALOG_TENSORS;
    const m = packed.manifest;
    const bytesOf = (name: string) => {
      const e = block(m, name);
      return Array.from(e.dtype === 'i32' ? new Int32Array(packed.tensors.slice(e.offset, e.offset + e.length).buffer) : packed.tensors.subarray(e.offset, e.offset + e.length));
    };
    expect(m.formatVersion).toBe(2);
    expect(m.tensors.slice(5).map((e) => [e.name, e.dtype, e.shape, e.offset, e.length])).toEqual([
      [T.itemIds, 'u8', [4], 80, 4],
      [T.itemIdOffsets, 'i32', [4], 96, 16],
      [T.itemIdOrder, 'i32', [3], 112, 12],
      [T.titles, 'u8', [4], 128, 4],
      [T.titleOffsets, 'i32', [4], 144, 16],
      [T.itemTagIndptr, 'i32', [4], 160, 16],
      [T.itemTagIndices, 'i32', [3], 176, 12],
      [T.userIds, 'u8', [2], 192, 2],
      [T.userIdOffsets, 'i32', [2], 208, 8],
      [T.userIdOrder, 'i32', [1], 224, 4],
      [T.seenIndptr, 'i32', [2], 240, 8],
      [T.seenIndices, 'i32', [2], 256, 8],
    ]);
    expect(bytesOf(T.itemIds)).toEqual([0x62, 0xc3, 0xbc, 0x61]); // "b" "ü" "a" in UTF-8
    expect(bytesOf(T.itemIdOffsets)).toEqual([0, 1, 3, 4]);
    expect(bytesOf(T.itemIdOrder)).toEqual([2, 0, 1]); // a < b < ü by bytes
    expect(bytesOf(T.titles)).toEqual([0x42, 0xc3, 0x9c, 0x41]); // "B" "Ü" "A"
    expect(bytesOf(T.titleOffsets)).toEqual([0, 1, 3, 4]);
    expect(bytesOf(T.itemTagIndptr)).toEqual([0, 1, 1, 3]);
    expect(bytesOf(T.itemTagIndices)).toEqual([0, 1, 0]); // x | - | y, x (vocabulary x, y; each item's order kept)
    expect(bytesOf(T.userIds)).toEqual([0x75, 0x31]);
    expect(bytesOf(T.userIdOffsets)).toEqual([0, 2]);
    expect(bytesOf(T.userIdOrder)).toEqual([0]);
    expect(bytesOf(T.seenIndptr)).toEqual([0, 2]);
    expect(bytesOf(T.seenIndices)).toEqual([0, 2]);
    expect(packed.tensors.byteLength).toBe(264);
    expect(m.tensorsBytes).toBe(264);
    expect(m.tensorsSha256).toBe(await sha256Hex(packed.tensors));
    expect(packed.itemsText).toBe('{"itemTags":["x","y"]}');
  });

  it('round-trips: f32 exactly, f16 and q8 within their bounds, the catalogue exactly', async () => {
    const { packed } = await build();
    const d = await decode(packed);
    expect(Array.from(d.tensors.get('item_bias')!.data)).toEqual(Array.from(Float32Array.of(0.1, -0.2, 0.3)));
    expect(Array.from(d.tensors.get('user_factors')!.data)).toEqual([0.5, -1.5]);
    const q = d.tensors.get('item_factors')!;
    expect(q.shape).toEqual([3, 2]);
    const orig = [1, 2, 3, -4, 0.5, 0.25];
    q.data.forEach((v, i) => {
      const rowMax = Math.max(Math.abs(orig[i - (i % 2)]), Math.abs(orig[i - (i % 2) + 1]));
      expect(Math.abs(v - orig[i])).toBeLessThanOrEqual(rowMax / 254 + 1e-7);
    });
    // Companion tensors and catalogue blocks are not served as tensors.
    expect([...d.tensors.keys()].sort()).toEqual(['item_bias', 'item_factors', 'user_factors']);
    expect(d.items).toEqual(items);
    expect(d.catalog.itemIds.indexOf('ü')).toBe(1);
    expect(d.catalog.titles.get(1)).toBe('Ü');
  });

  it('works on a Uint8Array that does not start at an aligned offset', async () => {
    const { packed } = await build();
    const shifted = new Uint8Array(packed.tensors.byteLength + 3);
    shifted.set(packed.tensors, 3);
    const d = await decode({ ...packed, tensors: shifted.subarray(3) });
    expect(d.tensors.get('item_bias')!.data[2]).toBeCloseTo(0.3, 7);
    expect(d.catalog.itemIds.get(2)).toBe('a');
  });

  it('refuses a flipped byte with a checksum error, in both modes', async () => {
    const { packed } = await build();
    const bad = packed.tensors.slice();
    bad[20] ^= 0xff;
    for (const verify of ['full', 'checksum'] as const) await expect(decode({ ...packed, tensors: bad }, verify)).rejects.toThrow(/checksum mismatch/);
  });

  it('refuses a truncated tensors.bin', async () => {
    const { packed } = await build();
    await expect(decode({ ...packed, tensors: packed.tensors.subarray(0, 40) })).rejects.toThrow(/tensors.bin is 40 bytes but the manifest says 264/);
  });

  it('refuses version 1 (the JSON catalogue) with what to do, and an unknown version', async () => {
    const { packed } = await build();
    const v = (n: number) => ({ ...packed, manifestText: JSON.stringify({ ...packed.manifest, formatVersion: n }) });
    await expect(decode(v(1))).rejects.toThrow(
      'artifact format version 1 is not supported (this build reads version 2): retrain with this version of edgerec, or republish',
    );
    await expect(decode(v(99))).rejects.toThrow(/format version 99 is not supported.*retrain or upgrade/);
  });

  it('refuses a shape that disagrees with the bytes', async () => {
    const { packed } = await build();
    const m = structuredClone(packed.manifest);
    block(m, 'item_bias').shape = [4];
    await expect(decode({ ...packed, manifestText: JSON.stringify(m) })).rejects.toThrow(/tensor item_bias: shape \[4\] as f32 needs 16 bytes, the table says 12/);
  });

  it('refuses non-finite weights and q8 norms in both modes, naming the tensor', async () => {
    const { packed } = await build();
    const nan = await tamper(packed, (b, m) => new DataView(b.buffer).setFloat32(block(m, 'item_bias').offset + 4, NaN, true));
    const inf = await tamper(packed, (b, m) => new DataView(b.buffer).setFloat32(block(m, 'item_factors.norm').offset + 8, Infinity, true));
    for (const verify of ['full', 'checksum'] as const) {
      await expect(decode(nan, verify)).rejects.toThrow(/tensor item_bias: value NaN at flat index 1 is not finite/);
      await expect(decode(inf, verify)).rejects.toThrow(/tensor item_factors: the stored norm of row 2 \(item_factors\.norm\) is Infinity, not a finite length/);
    }
  });

  it('full decode (publish) refuses stored norms that are not the codes; the Worker trusts the checksum for them', async () => {
    const { packed } = await build();
    const off = await tamper(packed, (b, m) => new DataView(b.buffer).setFloat32(block(m, 'item_factors.norm').offset, 7, true));
    await expect(decode(off)).rejects.toThrow(/tensor item_factors: row 0's stored norm 7 is not its codes' \(2\.2\d+\)/);
    await expect(decode(off, 'checksum')).resolves.toBeDefined();
  });

  it('refuses catalogue blocks that disagree with the counts, in both modes', async () => {
    const { packed } = await build();
    const counts = { ...packed, manifestText: JSON.stringify({ ...packed.manifest, counts: { users: 1, items: 2 } }) };
    for (const verify of ['full', 'checksum'] as const) {
      await expect(decode(counts, verify)).rejects.toThrow(/tensor item_factors has shape|tensor catalog.item_ids.offsets has 4 entries, the manifest's counts need 3/);
    }
    const missing = await tamper(packed, undefined, (m) => (m.tensors = m.tensors.filter((t) => t.name !== CATALOG_TENSORS.titles)));
    await expect(decode(missing, 'checksum')).rejects.toThrow('tensors.bin lacks the catalogue block catalog.titles');
    await expect(decode({ ...packed, itemsText: '{"items": []}' }, 'checksum')).rejects.toThrow('items.json lacks its itemTags list (the item tag vocabulary)');
    await expect(decode({ ...packed, itemsText: 'not json' }, 'checksum')).rejects.toThrow(/^items\.json is not valid JSON: /);
  });

  it('full decode refuses duplicate ids, broken UTF-8, out-of-range seen and tag indices; the checksum vouches for them in the Worker', async () => {
    const { packed } = await build();
    const m = packed.manifest;
    const at = (name: string) => block(m, name).offset;
    const cases: [string, (b: Uint8Array) => void, RegExp][] = [
      ['duplicate item id', (b) => (b[at(CATALOG_TENSORS.itemIds)] = 0x61), /lists item id "a" twice \(at indices 0 and 2\)/],
      ['broken UTF-8', (b) => (b[at(CATALOG_TENSORS.itemIds) + 2] = 0x41), /item at index 1 is not well-formed UTF-8/],
      ['seen out of range', (b) => new DataView(b.buffer).setInt32(at(CATALOG_TENSORS.seenIndices) + 4, 3, true), /seen\.indices holds 3, outside 0\.\.2/],
      ['tag out of range', (b) => new DataView(b.buffer).setInt32(at(CATALOG_TENSORS.itemTagIndices), 5, true), /catalog\.item_tags\.indices holds 5, outside the 2 item tags/],
      ['order not a permutation', (b) => new DataView(b.buffer).setInt32(at(CATALOG_TENSORS.itemIdOrder), 0, true), /item id lookup order is not a permutation/],
    ];
    for (const [what, edit, message] of cases) {
      const bad = await tamper(packed, edit);
      await expect(decode(bad), what).rejects.toThrow(message);
      // Per isolate these are not re-checked: publish refused them, and bytes with the published checksum are those bytes.
      await expect(decode(bad, 'checksum'), what).resolves.toBeDefined();
    }
  });

  it('packing refuses what full decode would: duplicate or empty ids, seen indices out of range', async () => {
    const dup = { ...items, items: [items.items[0], { ...items.items[1], id: 'b' }, items.items[2]] };
    await expect(build({}, dup)).rejects.toThrow(/lists item id "b" twice \(at indices 0 and 1\)/);
    await expect(build({}, { ...items, users: ['u1', 'u1'], seen: { indptr: [0, 1, 2], indices: [0, 1] } })).rejects.toThrow(/lists user id "u1" twice/);
    await expect(build({}, { ...items, items: [{ id: '', title: 'x' }, ...items.items.slice(1)] })).rejects.toThrow(/item id at index 0 is "", not a non-empty string/);
    await expect(build({}, { ...items, seen: { indptr: [0, 1], indices: [7] } })).rejects.toThrow(/seen\.indices holds 7, outside 0\.\.2/);
    await expect(build({}, { ...items, items: [{ id: 'x\ud800', title: 'x' }, ...items.items.slice(1)] })).rejects.toThrow(/item id at index 0 \("x\\ud800"\) has a lone UTF-16 surrogate/);
    await expect(build({}, { ...items, items: [{ id: 7 as unknown as string, title: 'x' }, ...items.items.slice(1)] })).rejects.toThrow('item id at index 0 is 7, not a string');
  });
});

describe('StringTable lookups', () => {
  const ids = ['1', '2', '10', ...HOSTILE_ITEM_IDS, 'Ä', 'A\u0308', 'z', '日本', '😀', '\uffff', 'a\u0000b'];

  it('finds every id, hostile and non-ASCII ones included, by its exact code points', () => {
    const t = StringTable.from(ids);
    ids.forEach((id, i) => expect(t.indexOf(id), JSON.stringify(id)).toBe(i));
    ids.forEach((id, i) => expect(t.get(i)).toBe(id));
  });

  it('an owned table (packed spans, what a loaded model of 100k+ items keeps) answers exactly as the stored one, across span blocks and widths', () => {
    // Lengths past 255 and 65535 bytes need 16- and 32-bit lengths; 40 strings cross two 16-string anchor blocks.
    const long = [...ids, 'x'.repeat(300), ...Array.from({ length: 21 }, (_, i) => `id-${i}`), 'y'.repeat(70_000), ''];
    for (const list of [ids, long]) {
      const stored = StringTable.from(list);
      const owned = stored.owned(0);
      expect(owned.bytes.buffer).not.toBe(stored.bytes.buffer);
      expect(Array.from(owned.offsets)).toEqual(Array.from(stored.offsets));
      list.forEach((id, i) => {
        expect(owned.get(i)).toBe(id);
        expect(owned.indexOf(id)).toBe(stored.indexOf(id));
      });
      expect(owned.indexOf('not there')).toBe(-1);
    }
    // 1.3 bytes per short string instead of 4 (+ the blob and the lookup order, unchanged).
    const many = StringTable.from(Array.from({ length: 1600 }, (_, i) => `item-${i}`));
    const spans = (t: StringTable) => t.byteLength - t.bytes.byteLength - t.order!.byteLength;
    expect([spans(many), spans(many.owned(0))]).toEqual([1601 * 4, 1600 + 101 * 4]);
    // Small tables (under PACK_FROM strings) keep their int32 offsets: packing them would save little and cost a
    // cold isolate its unoptimised loops.
    expect(spans(many.owned())).toBe(1601 * 4);
  });

  it('misses near-misses: prefixes, case, other normal forms, percent-decoded forms', () => {
    const t = StringTable.from(ids);
    for (const miss of ['', '0', '100', 'a/', 'A/B', 'L'.repeat(255), 'L'.repeat(257), 'a\u0000', 'ä', '%252F', '/', 'emoji', '😀😀']) {
      expect(t.indexOf(miss), JSON.stringify(miss)).toBe(-1);
    }
  });

  it('an id with a lone surrogate matches nothing, not the id with U+FFFD in its place', () => {
    const t = StringTable.from(['a\ufffd', 'b']);
    expect(t.indexOf('a\ufffd')).toBe(0);
    expect(t.indexOf('a\ud800')).toBe(-1);
    expect(t.indexOf('a\udc00')).toBe(-1);
  });

  it('orders by UTF-8 bytes (code points), not UTF-16 units: U+FFFF sorts before an astral character', () => {
    const t = StringTable.from(['😀', '\uffff', 'a']);
    expect(Array.from(t.order!)).toEqual([2, 1, 0]);
  });
});
