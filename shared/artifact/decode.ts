import { ArtifactError } from '../errors.js';
import { decodeF16, fromHalf } from './f16.js';
import { dequantizeQ8, type Q8Matrix } from './q8.js';
import {
  BYTES_PER_ELEMENT,
  DType,
  FORMAT_NAME,
  FORMAT_VERSION,
  TENSOR_ALIGNMENT,
  type ItemsFile,
  type Manifest,
  type TensorEntry,
} from './schema.js';
import { sha256Hex } from './sha256.js';

export interface DecodedTensor {
  shape: number[];
  /** Stored format (the values below are always dequantised f32). */
  dtype: DType;
  /** The values as f32; for q8 and f16 tensors dequantised on first access (a loader may never need them). */
  data: Float32Array;
  /** The stored int8 values and per-row scales of a q8 tensor: lets a loader skip the f32 copy. */
  q8?: Q8Matrix;
}

export interface DecodedArtifact {
  manifest: Manifest;
  items: ItemsFile;
  tensors: Map<string, DecodedTensor>;
}

/**
 * Parses and validates an artifact: format and version, checksum, tensor table against the bytes, finiteness,
 * and the id tables against the counts. Anything off is an ArtifactError naming the problem; nothing half-valid
 * is returned.
 */
export async function decodeArtifact(
  manifestText: string,
  tensorBytes: Uint8Array,
  itemsText: string,
): Promise<DecodedArtifact> {
  const manifest = parseJson<Manifest>(manifestText, 'manifest.json');
  checkManifest(manifest);
  if (tensorBytes.byteLength !== manifest.tensorsBytes) {
    throw new ArtifactError(
      `tensors.bin is ${tensorBytes.byteLength} bytes but the manifest says ${manifest.tensorsBytes}: the upload is truncated or from another version`,
    );
  }
  const sum = await sha256Hex(tensorBytes);
  if (sum !== manifest.tensorsSha256) {
    throw new ArtifactError(`tensors.bin checksum mismatch: sha256 ${sum}, manifest says ${manifest.tensorsSha256}`);
  }
  const raw = new Map<string, TensorEntry>(manifest.tensors.map((t) => [t.name, t]));
  const tensors = new Map<string, DecodedTensor>();
  for (const t of manifest.tensors) {
    checkEntry(t, tensorBytes.byteLength);
    if (t.dtype === DType.q8) {
      const scale = t.scale ? raw.get(t.scale) : undefined;
      if (!scale || scale.dtype !== DType.f32 || scale.shape.length !== 1 || scale.shape[0] !== t.shape[0]) {
        throw new ArtifactError(`tensor ${t.name}: q8 needs an f32 scale tensor of shape [${t.shape[0]}], found ${t.scale ?? 'none'}`);
      }
    }
  }
  for (const t of manifest.tensors) {
    if (t.name.endsWith('.scale') && manifest.tensors.some((o) => o.scale === t.name)) continue;
    tensors.set(t.name, decodeTensor(t, tensorBytes, raw));
  }
  const items = parseJson<ItemsFile>(itemsText, 'items.json');
  checkItems(items, manifest);
  return { manifest, items, tensors };
}

function parseJson<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ArtifactError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function checkManifest(m: Manifest): void {
  if (!m || typeof m !== 'object' || m.format !== FORMAT_NAME) {
    throw new ArtifactError(`manifest.json is not an edgerec artifact manifest (format: ${JSON.stringify(m?.format)})`);
  }
  if (m.formatVersion !== FORMAT_VERSION) {
    throw new ArtifactError(
      `artifact format version ${m.formatVersion} is not supported (this build reads version ${FORMAT_VERSION}): retrain or upgrade edgerec`,
    );
  }
  if (!Array.isArray(m.tensors) || typeof m.tensorsSha256 !== 'string' || !Number.isInteger(m.tensorsBytes)) {
    throw new ArtifactError('manifest.json lacks its tensor table, tensorsSha256 or tensorsBytes');
  }
  if (!m.model || typeof m.model.kind !== 'string' || !m.counts) {
    throw new ArtifactError('manifest.json lacks model.kind or counts');
  }
}

function checkEntry(t: TensorEntry, total: number): void {
  if (!(t.dtype in BYTES_PER_ELEMENT)) throw new ArtifactError(`tensor ${t.name}: unknown dtype ${JSON.stringify(t.dtype)}`);
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ArtifactError(`tensor ${t.name}: bad shape ${JSON.stringify(t.shape)}`);
  }
  const expected = t.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.dtype];
  if (t.length !== expected) {
    throw new ArtifactError(`tensor ${t.name}: shape [${t.shape}] as ${t.dtype} needs ${expected} bytes, the table says ${t.length}`);
  }
  if (!Number.isInteger(t.offset) || t.offset % TENSOR_ALIGNMENT !== 0 || t.offset < 0 || t.offset + t.length > total) {
    throw new ArtifactError(`tensor ${t.name}: bytes ${t.offset}..${t.offset + t.length} are not an aligned range inside tensors.bin (${total} bytes)`);
  }
}

/**
 * A view on the tensor's bytes when they are aligned for its element type (the usual case: tensors are 16-byte
 * aligned in tensors.bin), otherwise a copy. Views avoid a copy of every table at load time.
 */
function view<T>(bytes: Uint8Array, t: TensorEntry, Ctor: { new (b: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number }): T {
  const at = bytes.byteOffset + t.offset;
  const n = t.length / Ctor.BYTES_PER_ELEMENT;
  if (at % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer as ArrayBuffer, at, n);
  return new Ctor(bytes.slice(t.offset, t.offset + t.length).buffer, 0, n);
}

function notFinite(t: TensorEntry, value: number, index: number): ArtifactError {
  return new ArtifactError(`tensor ${t.name}: value ${value} at flat index ${index} is not finite`);
}

/**
 * Validates a tensor's values without materialising them where the stored format allows: int8 values are always
 * finite, so a q8 row is finite exactly when its scale is (x 127); an f16 value is finite unless its exponent bits
 * are all ones. The f32 values of q8 and f16 tensors are computed on first access of `data`.
 */
function decodeTensor(t: TensorEntry, bytes: Uint8Array, table: Map<string, TensorEntry>): DecodedTensor {
  const lazy = (make: () => Float32Array, extra: Partial<DecodedTensor> = {}): DecodedTensor => {
    let data: Float32Array | undefined;
    return {
      shape: t.shape,
      dtype: t.dtype,
      get data() {
        return (data ??= make());
      },
      ...extra,
    };
  };
  switch (t.dtype) {
    case DType.f32: {
      const data = view(bytes, t, Float32Array);
      for (let i = 0; i < data.length; i++) {
        const x = data[i];
        if (x - x !== 0) throw notFinite(t, x, i);
      }
      return { shape: t.shape, dtype: t.dtype, data };
    }
    case DType.f16: {
      const halves = view(bytes, t, Uint16Array);
      for (let i = 0; i < halves.length; i++) {
        if ((halves[i] & 0x7c00) === 0x7c00) throw notFinite(t, fromHalf(halves[i]), i);
      }
      return lazy(() => decodeF16(halves));
    }
    case DType.q8: {
      const [rows, cols] = t.shape.length === 2 ? t.shape : [t.shape[0], 1];
      const q: Q8Matrix = { values: view(bytes, t, Int8Array), scales: view(bytes, table.get(t.scale!)!, Float32Array) };
      for (let r = 0; r < rows; r++) {
        if (!Number.isFinite(q.scales[r] * 127)) {
          // Report the first element that dequantises to a non-finite value, as a full scan would.
          let c = 0;
          while (c < cols - 1 && Number.isFinite(q.values[r * cols + c] * q.scales[r])) c++;
          throw notFinite(t, Math.fround(q.values[r * cols + c] * q.scales[r]), r * cols + c);
        }
      }
      return lazy(() => dequantizeQ8(q, rows, cols), { q8: q });
    }
  }
}

function checkItems(items: ItemsFile, m: Manifest): void {
  if (!items || !Array.isArray(items.items) || !Array.isArray(items.users)) {
    throw new ArtifactError('items.json lacks its items or users list');
  }
  if (items.items.length !== m.counts.items) {
    throw new ArtifactError(`items.json lists ${items.items.length} items, the manifest counts ${m.counts.items}`);
  }
  if (items.users.length !== m.counts.users) {
    throw new ArtifactError(`items.json lists ${items.users.length} users, the manifest counts ${m.counts.users}`);
  }
  checkIds('item', items.items.map((it, n) => checkItem(it, n)));
  checkIds('user', items.users);
  if (items.tags !== undefined) checkIds('tag', items.tags);
  const { indptr, indices } = items.seen ?? { indptr: [], indices: [] };
  if (m.counts.users > 0 && indptr.length !== m.counts.users + 1) {
    throw new ArtifactError(`items.json seen.indptr has ${indptr.length} entries, expected users + 1 = ${m.counts.users + 1}`);
  }
  if (indptr.length && indptr[indptr.length - 1] !== indices.length) {
    throw new ArtifactError(`items.json seen.indptr ends at ${indptr[indptr.length - 1]} but indices has ${indices.length}`);
  }
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= m.counts.items) {
      throw new ArtifactError(`items.json seen.indices holds ${i}, outside 0..${m.counts.items - 1}`);
    }
  }
}

/** An item entry must be plain: a string id and title, tags a list of strings (or absent). Returns its id. */
function checkItem(it: unknown, n: number): unknown {
  const item = it as { id?: unknown; title?: unknown; tags?: unknown } | null;
  if (!item || typeof item !== 'object') throw new ArtifactError(`items.json items[${n}] is ${JSON.stringify(it)}, not an object`);
  if (typeof item.title !== 'string') throw new ArtifactError(`items.json items[${n}].title is ${JSON.stringify(item.title)}, not a string`);
  if (item.tags !== undefined && !(Array.isArray(item.tags) && item.tags.every((t) => typeof t === 'string'))) {
    throw new ArtifactError(`items.json items[${n}].tags is ${JSON.stringify(item.tags)}, not a list of strings`);
  }
  return item.id;
}

/** Ids are non-empty strings, each once: a duplicate would make lookups answer for the wrong row. */
function checkIds(kind: string, ids: readonly unknown[]): void {
  if (!Array.isArray(ids)) throw new ArtifactError(`items.json ${kind} ids are not a list`);
  const seen = new Set<string>();
  ids.forEach((id, n) => {
    if (typeof id !== 'string' || id.length === 0) {
      throw new ArtifactError(`items.json ${kind} id at index ${n} is ${JSON.stringify(id)}, not a non-empty string`);
    }
    if (seen.has(id)) throw new ArtifactError(`items.json lists ${kind} id ${JSON.stringify(id)} twice (again at index ${n})`);
    seen.add(id);
  });
}
