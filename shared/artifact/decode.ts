import { ArtifactError } from '../errors.js';
import { CATALOG_TENSORS, catalogFromItems, decodeCatalog, toItemsFile, type Catalog, type ItemsJson } from './catalog.js';
import { decodeF16, fromHalf } from './f16.js';
import { dequantizeQ8, rowFactorsQ8, type Q8Matrix } from './q8.js';
import {
  BYTES_PER_ELEMENT,
  DType,
  FORMAT_NAME,
  IMPORT_FORMATS,
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
  /**
   * The stored int8 values and per-row scales of a q8 tensor: lets a loader skip the f32 copy. `norms` are the row
   * lengths the encoder stored (schema.ts TensorEntry.norm).
   */
  q8?: Q8Matrix & { norms: Float32Array };
}

export interface DecodedArtifact {
  manifest: Manifest;
  /** The catalogue blocks (views into tensorBytes): what the Worker reads. */
  catalog: Catalog;
  /** The catalogue as plain objects, materialised on first access (Node tools and tests; the Worker never asks). */
  readonly items: ItemsFile;
  /** Numeric tensors (the catalogue blocks are in `catalog`, not here). */
  tensors: Map<string, DecodedTensor>;
}

export interface DecodeOptions {
  /**
   * 'full' (default; publish and every Node tool): everything below. 'checksum' (the Worker, per isolate): the
   * checksum, the manifest and tensor table, shapes against counts, finiteness of f32/f16 values and q8 scales and
   * per-row factors (all O(rows) for a q8 model), block lengths; it skips what publish's full decode checked on the
   * same bytes, which the checksum vouches for: the per-row factors against the codes, the catalogue's offsets,
   * UTF-8, id uniqueness and order, seen and tag index ranges.
   */
  verify?: 'full' | 'checksum';
  /**
   * Hex sha256 of tensors.bin. Default: WebCrypto's digest in one call. The Worker passes one that hashes in chunks
   * and lets requests run between them (functions/checksum.ts): at 1M items one digest call is ~80 ms on the
   * isolate's thread.
   */
  sha256?: (bytes: Uint8Array) => Promise<string>;
}

/**
 * Parses and validates an artifact: format and version, checksum, tensor table against the bytes, finiteness,
 * and the id tables against the counts (see DecodeOptions for what each mode checks). Anything off is an
 * ArtifactError naming the problem; nothing half-valid is returned.
 */
export async function decodeArtifact(
  manifestText: string,
  tensorBytes: Uint8Array,
  itemsText: string,
  opts: DecodeOptions = {},
): Promise<DecodedArtifact> {
  const full = opts.verify !== 'checksum';
  const manifest = parseJson<Manifest>(manifestText, 'manifest.json');
  checkManifest(manifest);
  if (tensorBytes.byteLength !== manifest.tensorsBytes) {
    throw new ArtifactError(
      `tensors.bin is ${tensorBytes.byteLength} bytes but the manifest says ${manifest.tensorsBytes}: the upload is truncated or from another version`,
    );
  }
  const sum = await (opts.sha256 ?? sha256Hex)(tensorBytes);
  if (sum !== manifest.tensorsSha256) {
    throw new ArtifactError(`tensors.bin checksum mismatch: sha256 ${sum}, manifest says ${manifest.tensorsSha256}`);
  }
  const raw = new Map<string, TensorEntry>(manifest.tensors.map((t) => [t.name, t]));
  const tensors = new Map<string, DecodedTensor>();
  const companions = new Set<string>();
  for (const t of manifest.tensors) {
    checkEntry(t, tensorBytes.byteLength);
    if (t.dtype === DType.q8) {
      for (const [what, name] of [['scale', t.scale], ['norm', t.norm]] as const) {
        const c = name ? raw.get(name) : undefined;
        if (!c || c.dtype !== DType.f32 || c.shape.length !== 1 || c.shape[0] !== t.shape[0]) {
          throw new ArtifactError(`tensor ${t.name}: q8 needs an f32 ${what} tensor of shape [${t.shape[0]}], found ${name ?? 'none'}`);
        }
        companions.add(name!);
      }
    }
  }
  const catalogNames = new Set<string>(Object.values(CATALOG_TENSORS));
  for (const t of manifest.tensors) {
    if (companions.has(t.name) || catalogNames.has(t.name)) continue;
    if (t.dtype === DType.i32 || t.dtype === DType.u8) throw new ArtifactError(`tensor ${t.name}: ${t.dtype} is for the catalogue blocks only`);
    tensors.set(t.name, decodeTensor(t, tensorBytes, raw, full));
  }
  const block = (name: string, dtype: 'i32' | 'u8', length?: number) => {
    const t = raw.get(name);
    if (!t) throw new ArtifactError(`tensors.bin lacks the catalogue block ${name}`);
    if (t.dtype !== dtype || t.shape.length !== 1) throw new ArtifactError(`tensor ${name} is ${t.dtype} [${t.shape}], the catalogue needs a 1-D ${dtype} block`);
    if (length !== undefined && t.shape[0] !== length) throw new ArtifactError(`tensor ${name} has ${t.shape[0]} entries, the manifest's counts need ${length}`);
    return dtype === 'i32' ? view(tensorBytes, t, Int32Array) : view(tensorBytes, t, Uint8Array);
  };
  const json = parseJson<ItemsJson>(itemsText, 'items.json');
  const catalog = decodeCatalog(block, json, manifest.counts, full);
  let items: ItemsFile | undefined;
  return {
    manifest,
    catalog,
    get items() {
      return (items ??= toItemsFile(catalog));
    },
    tensors,
  };
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
    // Version 1 kept the catalogue as JSON in items.json; its artifacts are refused rather than converted at load
    // (one reader, one validation path). Re-training, or re-packing the same weights, writes version 2.
    const advice = typeof m.formatVersion === 'number' && m.formatVersion < FORMAT_VERSION ? 'retrain with this version of edgerec, or republish' : 'retrain or upgrade edgerec';
    throw new ArtifactError(
      `artifact format version ${m.formatVersion} is not supported (this build reads version ${FORMAT_VERSION}): ${advice}`,
    );
  }
  if (!Array.isArray(m.tensors) || typeof m.tensorsSha256 !== 'string' || !Number.isInteger(m.tensorsBytes)) {
    throw new ArtifactError('manifest.json lacks its tensor table, tensorsSha256 or tensorsBytes');
  }
  if (!m.model || typeof m.model.kind !== 'string' || !m.counts) {
    throw new ArtifactError('manifest.json lacks model.kind or counts');
  }
  const src = m.source as unknown;
  if (src !== undefined) {
    const o = src as { format?: unknown; files?: unknown };
    if (typeof o !== 'object' || o === null || !(IMPORT_FORMATS as readonly unknown[]).includes(o.format) || !Array.isArray(o.files) || o.files.some((f) => typeof f !== 'string')) {
      throw new ArtifactError(`manifest.json source ${JSON.stringify(src)?.slice(0, 120)} is not {format: one of ${IMPORT_FORMATS.join(', ')}, files: [strings]}`);
    }
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
function decodeTensor(t: TensorEntry, bytes: Uint8Array, table: Map<string, TensorEntry>, full: boolean): DecodedTensor {
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
      const q = {
        values: view(bytes, t, Int8Array),
        scales: view(bytes, table.get(t.scale!)!, Float32Array),
        norms: view(bytes, table.get(t.norm!)!, Float32Array),
      };
      for (let r = 0; r < rows; r++) {
        if (!Number.isFinite(q.scales[r] * 127)) {
          // Report the first element that dequantises to a non-finite value, as a full scan would.
          let c = 0;
          while (c < cols - 1 && Number.isFinite(q.values[r * cols + c] * q.scales[r])) c++;
          throw notFinite(t, Math.fround(q.values[r * cols + c] * q.scales[r]), r * cols + c);
        }
        if (!(q.norms[r] >= 0 && q.norms[r] < Infinity)) {
          throw new ArtifactError(`tensor ${t.name}: the stored norm of row ${r} (${t.norm}) is ${q.norms[r]}, not a finite length`);
        }
      }
      if (full) checkRowFactors(t, q, rows, cols);
      return lazy(() => dequantizeQ8(q, rows, cols), { q8: q });
    }
    default:
      throw new ArtifactError(`tensor ${t.name}: unknown dtype ${JSON.stringify(t.dtype)}`);
  }
}

/** The stored per-row factors must be what the codes give (publish checks it once; the checksum vouches after). */
function checkRowFactors(t: TensorEntry, q: Q8Matrix & { norms: Float32Array }, rows: number, cols: number): void {
  const f = rowFactorsQ8(q.values, q.scales, rows, cols);
  for (let r = 0; r < rows; r++) {
    if (f.norms[r] !== q.norms[r]) throw new ArtifactError(`tensor ${t.name}: row ${r}'s stored norm ${q.norms[r]} is not its codes' (${f.norms[r]})`);
  }
}

/** The catalogue parts of a DecodedArtifact built in memory (tools and tests that skip the bytes): spread it in. */
export function inMemory(items: ItemsFile): Pick<DecodedArtifact, 'catalog' | 'items'> {
  return { catalog: catalogFromItems(items), items };
}
