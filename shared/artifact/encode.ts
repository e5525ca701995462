import { encodeCatalog } from './catalog.js';
import { decodeArtifact, type DecodedArtifact, type DecodeOptions } from './decode.js';
import { quantizeQ8, rowFactorsQ8 } from './q8.js';
import { encodeF16 } from './f16.js';
import { DType, FORMAT_VERSION, TENSOR_ALIGNMENT, type ItemsFile, type Manifest, type TensorEntry } from './schema.js';
import { sha256Hex } from './sha256.js';

/** A float tensor to be written, with the storage format it should take. */
export interface TensorInput {
  name: string;
  data: Float32Array;
  shape: number[];
  dtype: DType;
}

export interface EncodedTensors {
  bytes: Uint8Array;
  entries: TensorEntry[];
  sha256: string;
}

const align = (n: number) => Math.ceil(n / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;

/** Lays the tensors out back to back, 16-byte aligned, little-endian; q8 tensors get a `<name>.scale` f32 tensor. */
export async function encodeTensors(inputs: TensorInput[]): Promise<EncodedTensors> {
  const parts: { entry: TensorEntry; bytes: Uint8Array }[] = [];
  for (const t of inputs) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(`tensor ${t.name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    }
    if (t.dtype === DType.q8) {
      if (t.shape.length !== 2) throw new RangeError(`tensor ${t.name}: q8 needs a 2-D shape, got [${t.shape}]`);
      const [rows, cols] = t.shape;
      const q = quantizeQ8(t.data, rows, cols);
      const scaleName = `${t.name}.scale`;
      const f = rowFactorsQ8(q.values, q.scales, rows, cols);
      const e = entry(t.name, DType.q8, t.shape, scaleName);
      e.norm = `${t.name}.norm`;
      parts.push({ entry: e, bytes: asBytes(q.values) });
      parts.push({ entry: entry(scaleName, DType.f32, [rows]), bytes: asBytes(q.scales) });
      parts.push({ entry: entry(e.norm!, DType.f32, [rows]), bytes: asBytes(f.norms) });
    } else if (t.dtype === DType.f16) {
      parts.push({ entry: entry(t.name, DType.f16, t.shape), bytes: asBytes(encodeF16(t.data)) });
    } else {
      parts.push({ entry: entry(t.name, DType.f32, t.shape), bytes: asBytes(t.data) });
    }
  }
  let offset = 0;
  for (const p of parts) {
    p.entry.offset = offset;
    p.entry.length = p.bytes.byteLength;
    offset = align(offset + p.bytes.byteLength);
  }
  const total = parts.length ? parts[parts.length - 1].entry.offset + parts[parts.length - 1].entry.length : 0;
  const bytes = new Uint8Array(total);
  for (const p of parts) bytes.set(p.bytes, p.entry.offset);
  return { bytes, entries: parts.map((p) => p.entry), sha256: await sha256Hex(bytes) };
}

/** What an artifact's three files hold once packed: the manifest (as written), tensors.bin and items.json. */
export interface PackedArtifact {
  manifest: Manifest;
  manifestText: string;
  tensors: Uint8Array;
  itemsText: string;
}

/**
 * Completes an artifact: appends the catalogue blocks of `items` (catalog.ts) to the encoded tensors, adds them to
 * the manifest's tensor table, and sets the checksum, byte count and format version. Every writer goes through this
 * (writeArtifact, the bench's catalogues, tests), so the layout has one author.
 */
export async function packArtifact(manifest: Manifest, tensors: Uint8Array, items: ItemsFile): Promise<PackedArtifact> {
  const { blocks, json } = encodeCatalog(items);
  const entries: TensorEntry[] = manifest.tensors.filter((t) => !blocks.some((b) => b.name === t.name));
  let offset = align(tensors.byteLength);
  const placed = blocks.map((b) => {
    const e: TensorEntry = { name: b.name, dtype: b.dtype, shape: [b.data.length], offset, length: b.data.byteLength };
    offset = align(offset + b.data.byteLength);
    return e;
  });
  const last = placed[placed.length - 1];
  const bytes = new Uint8Array(last.offset + last.length);
  bytes.set(tensors, 0);
  blocks.forEach((b, i) => bytes.set(asBytes(b.data), placed[i].offset));
  const m: Manifest = {
    ...manifest,
    formatVersion: FORMAT_VERSION,
    tensors: [...entries, ...placed],
    tensorsSha256: await sha256Hex(bytes),
    tensorsBytes: bytes.byteLength,
  };
  return { manifest: m, manifestText: JSON.stringify(m, null, 2), tensors: bytes, itemsText: JSON.stringify(json) };
}

function entry(name: string, dtype: DType, shape: number[], scale?: string): TensorEntry {
  return scale ? { name, dtype, shape, offset: 0, length: 0, scale } : { name, dtype, shape, offset: 0, length: 0 };
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Bytes the same tensors would take stored as plain f32 (the yardstick for the artifact's size). */
export function float32Bytes(inputs: TensorInput[]): number {
  let offset = 0;
  for (const t of inputs) offset = align(offset + t.data.length * 4);
  return offset;
}

/** Packs in memory and decodes (full checks): what the Worker would read from these parts, without files. */
export async function decodePacked(manifest: Manifest, tensors: Uint8Array, items: ItemsFile, opts?: DecodeOptions): Promise<DecodedArtifact> {
  const p = await packArtifact(manifest, tensors, items);
  return decodeArtifact(p.manifestText, p.tensors, p.itemsText, opts);
}
