import { readFile } from 'node:fs/promises';
import { fromHalf } from '../../shared/artifact/f16.js';
import { DataError } from '../data/errors.js';
import { readIdFile } from './npz.js';
import { rowIds, type FactorTable, type ImportedFactors } from './tables.js';

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian u64 N, N bytes of JSON
 * `{"<name>": {"dtype": "F32", "shape": [rows, dim], "data_offsets": [begin, end]}, "__metadata__": {...}}` (padded
 * with spaces), then the byte buffer the offsets point into (relative to its start), little-endian, C order. Read
 * here: F32, F16, BF16 and F64 tables; nothing in the file is executed.
 */

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const WIDTH: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function fail(file: string, problem: string, hint?: string): never {
  throw new DataError(file, undefined, undefined, problem, hint);
}

export interface Safetensors {
  tensors: Map<string, TensorInfo>;
  /** Where the byte buffer starts in the file. */
  dataAt: number;
  bytes: Uint8Array;
}

export function parseSafetensors(bytes: Uint8Array, file: string): Safetensors {
  if (bytes.length < 8) fail(file, `is ${bytes.length} bytes long`, 'a safetensors file starts with an 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) fail(file, `declares a ${n}-byte JSON header at byte 8, past the end of the file (${bytes.length} bytes)`, 'not a safetensors file, or a truncated one');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(file, `has a header (bytes 8..${8 + n}) that is not JSON: ${(e as Error).message.split('\n')[0]}`, 'not a safetensors file');
  }
  const dataAt = 8 + n;
  const tensors = new Map<string, TensorInfo>();
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = v as TensorInfo;
    if (!t || typeof t.dtype !== 'string' || !Array.isArray(t.shape) || !Array.isArray(t.data_offsets) || t.data_offsets.length !== 2) {
      fail(file, `header entry ${JSON.stringify(name)} is ${JSON.stringify(v)?.slice(0, 100)}`, 'expected {"dtype", "shape", "data_offsets": [begin, end]}');
    }
    const [begin, end] = t.data_offsets;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const width = WIDTH[t.dtype];
    if (width !== undefined && end - begin !== count * width) {
      fail(file, `tensor ${JSON.stringify(name)} has shape [${t.shape}] of ${t.dtype} (${count * width} bytes) but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (!(begin >= 0 && end >= begin && dataAt + end <= bytes.length)) {
      fail(file, `tensor ${JSON.stringify(name)} spans bytes ${dataAt + begin}..${dataAt + end} of a ${bytes.length}-byte file`, 'the file is truncated');
    }
    tensors.set(name, t);
  }
  return { tensors, dataAt, bytes };
}

/** A 2-D float tensor as f32 rows (F32, F16, BF16, F64), or an error naming what it is. */
export function tensorMatrix(st: Safetensors, name: string, file: string): { rows: number; dim: number; values: Float32Array } {
  const t = st.tensors.get(name);
  if (!t) fail(file, `has no tensor ${JSON.stringify(name)} (it has: ${[...st.tensors.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none'})`, 'pass its name with --tensor');
  if (t.shape.length !== 2) fail(file, `tensor ${JSON.stringify(name)} has shape [${t.shape}]`, 'expected a 2-D table [rows, dimensions]');
  if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) fail(file, `tensor ${JSON.stringify(name)} has dtype ${t.dtype}, which this reader cannot read`, 'expected F32, F16, BF16 or F64');
  const [rows, dim] = t.shape;
  const view = new DataView(st.bytes.buffer, st.bytes.byteOffset + st.dataAt + t.data_offsets[0], t.data_offsets[1] - t.data_offsets[0]);
  const values = new Float32Array(rows * dim);
  const w = WIDTH[t.dtype];
  const read = t.dtype === 'F32' ? (k: number) => view.getFloat32(k * w, true)
    : t.dtype === 'F64' ? (k: number) => view.getFloat64(k * w, true)
    : t.dtype === 'F16' ? (k: number) => fromHalf(view.getUint16(k * w, true))
    : (k: number) => new Float32Array(new Uint32Array([view.getUint16(k * w, true) << 16]).buffer)[0];
  for (let k = 0; k < values.length; k++) values[k] = read(k);
  return { rows, dim, values };
}

/** Item vectors from `tensor` (PyTorch's nn.Embedding weight, for instance), users from `userTensor`; rows are ids unless id files say otherwise. */
export async function readSafetensorsFactors(file: string, o: { tensor?: string; userTensor?: string; ids?: string; userIds?: string }): Promise<ImportedFactors> {
  const st = parseSafetensors(await readFile(file), file);
  if (!o.tensor) fail(file, `needs --tensor <name> to say which tensor holds the item vectors (it has: ${[...st.tensors.keys()].join(', ')})`);
  const side = async (name: string, ids: string | undefined, what: string): Promise<FactorTable> => {
    const m = tensorMatrix(st, name, file);
    return { ids: ids ? await readIdFile(ids, m.rows, what) : rowIds(m.rows), dim: m.dim, values: m.values };
  };
  const items = await side(o.tensor, o.ids, 'item');
  const users = o.userTensor ? await side(o.userTensor, o.userIds, 'user') : undefined;
  return { format: 'safetensors', files: [file, ...(o.ids ? [o.ids] : []), ...(o.userIds ? [o.userIds] : [])], items, ...(users ? { users } : {}) };
}

/** Writes F32 tensors in the safetensors layout (header padded to 8 bytes, as the reference writer does). */
export function encodeSafetensors(tensors: { name: string; shape: number[]; data: Float32Array }[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
