import { fromHalf } from '../../shared/artifact/f16.js';
import { DataError } from '../data/errors.js';

/**
 * NumPy's .npy format (numpy.lib.format, versions 1.0, 2.0 and 3.0): the magic "\x93NUMPY", a major and minor
 * version byte, the header length (u16 LE in 1.0, u32 LE in 2.0/3.0), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }` padded with spaces and a final newline so that the data
 * starts at a multiple of 64 bytes, then the raw array. Read here: little- and big-endian floats (f2, f4, f8) and
 * integers (i1..i8, u1..u8) and fixed-width unicode strings (U<n>, UTF-32) for id lists; object arrays are pickles and
 * are refused (nothing imported is executed).
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export interface NpyArray {
  descr: string;
  shape: number[];
  /** Numbers for numeric dtypes (as f64), strings for U<n>; C order. */
  data: Float64Array | string[];
}

function fail(file: string, problem: string, hint?: string): never {
  throw new DataError(file, undefined, undefined, problem, hint);
}

function parseHeader(text: string, file: string, at: number): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    fail(file, `has a .npy header at byte ${at} without descr, fortran_order and shape: ${JSON.stringify(text.trim().slice(0, 120))}`, "expected {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }");
  }
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(file, `has the shape (${shape}) in its .npy header`, 'expected non-negative integers');
  return { descr, fortran: fortran === 'True', shape: dims };
}

/** Parses one .npy file (or an entry of an .npz). */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail(file, `does not start with the .npy magic "\\x93NUMPY" (bytes 0-5 are ${Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ')})`, 'expected a file written by numpy.save');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) fail(file, `is .npy format version ${major}.${bytes[7]}`, 'this reader takes versions 1.0, 2.0 and 3.0');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) fail(file, `declares a ${headerLen}-byte header at byte ${start}, past the end of the file (${bytes.length} bytes)`, 'the file is truncated');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(text, file, start);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataAt = start + headerLen;
  const type = /^([<>|=])([fiuU])(\d+)$/.exec(descr);
  if (!type) {
    const why = descr.endsWith('O') ? 'an object array is a pickle, which is never loaded here; save a float, int or str array' : 'expected a float (<f4, <f8, <f2), integer (<i8, ...) or unicode string (<U12) dtype';
    fail(file, `has dtype ${JSON.stringify(descr)}, which this reader cannot read`, why);
  }
  const [, order, kind, sizeText] = type;
  const size = Number(sizeText);
  const width = kind === 'U' ? 4 * size : size;
  if ((kind === 'f' && ![2, 4, 8].includes(size)) || ((kind === 'i' || kind === 'u') && ![1, 2, 4, 8].includes(size))) fail(file, `has dtype ${JSON.stringify(descr)}, which this reader cannot read`);
  if (bytes.length - dataAt !== count * width) {
    fail(file, `holds ${bytes.length - dataAt} data bytes after its header (byte ${dataAt}), but shape (${shape.join(', ')}) of ${descr} needs ${count * width}`, 'the file is truncated or its header is wrong');
  }
  const little = order !== '>';
  const read = elementReader(view, kind, size, little);
  let data: Float64Array | string[];
  if (kind === 'U') {
    data = Array.from({ length: count }, (_, k) => {
      let s = '';
      for (let c = 0; c < size; c++) {
        const cp = view.getUint32(dataAt + k * width + 4 * c, little);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      return s;
    });
  } else {
    data = new Float64Array(count);
    for (let k = 0; k < count; k++) data[k] = read!(dataAt + k * width);
  }
  if (fortran && shape.length === 2) data = transposeToC(data, shape[0], shape[1]);
  else if (fortran && shape.length > 2) fail(file, `is a Fortran-ordered array of ${shape.length} dimensions`, 'save a C-ordered array (numpy.ascontiguousarray)');
  return { descr, shape, data };
}

function elementReader(view: DataView, kind: string, size: number, little: boolean): ((at: number) => number) | undefined {
  if (kind === 'f') return size === 2 ? (at) => fromHalf(view.getUint16(at, little)) : size === 4 ? (at) => view.getFloat32(at, little) : (at) => view.getFloat64(at, little);
  if (kind === 'U') return undefined;
  const signed = kind === 'i';
  if (size === 1) return signed ? (at) => view.getInt8(at) : (at) => view.getUint8(at);
  if (size === 2) return signed ? (at) => view.getInt16(at, little) : (at) => view.getUint16(at, little);
  if (size === 4) return signed ? (at) => view.getInt32(at, little) : (at) => view.getUint32(at, little);
  return signed ? (at) => Number(view.getBigInt64(at, little)) : (at) => Number(view.getBigUint64(at, little));
}

function transposeToC<T extends Float64Array | string[]>(data: T, rows: number, cols: number): T {
  const out = (Array.isArray(data) ? new Array<string>(data.length) : new Float64Array(data.length)) as T;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = data[c * rows + r];
  return out;
}

/** A [N, D] float array as f32 rows, or an error naming the shape it has. */
export function npyMatrix(a: NpyArray, file: string, what: string): { rows: number; dim: number; values: Float32Array } {
  if (a.shape.length !== 2 || typeof a.data[0] === 'string' || Array.isArray(a.data)) {
    fail(file, `${what} has shape (${a.shape.join(', ')}) and dtype ${a.descr}`, 'expected a 2-D float array [rows, dimensions]');
  }
  return { rows: a.shape[0], dim: a.shape[1], values: Float32Array.from(a.data as Float64Array) };
}

/** A 1-D array of ids (integers or strings) as strings. */
export function npyIds(a: NpyArray, file: string, what: string): string[] {
  if (a.shape.length !== 1) fail(file, `${what} has shape (${a.shape.join(', ')})`, 'expected a 1-D array of ids');
  if (Array.isArray(a.data)) return a.data;
  if (!a.descr.slice(1).startsWith('i') && !a.descr.slice(1).startsWith('u')) fail(file, `${what} has dtype ${a.descr}`, 'expected integer or string ids, not floats');
  return Array.from(a.data, String);
}

/** A 1-D float array (biases). */
export function npyVector(a: NpyArray, file: string, what: string): Float32Array {
  if (a.shape.length !== 1 || Array.isArray(a.data)) fail(file, `${what} has shape (${a.shape.join(', ')}) and dtype ${a.descr}`, 'expected a 1-D float array');
  return Float32Array.from(a.data as Float64Array);
}

/**
 * Writes a C-ordered .npy version 1.0 exactly as numpy.save does: `<f4` / `<i8` / `<U<n>`, the header padded with
 * spaces to end (with its newline) on a multiple of 64 bytes.
 */
export function encodeNpy(data: Float32Array | BigInt64Array | string[], shape: number[]): Uint8Array {
  const width = Array.isArray(data) ? Math.max(1, ...data.map((s) => [...s].length)) : 0;
  const descr = data instanceof Float32Array ? '<f4' : data instanceof BigInt64Array ? '<i8' : `<U${width}`;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const body = Array.isArray(data)
    ? (() => {
        const out = new Uint32Array(data.length * width);
        data.forEach((s, k) => [...s].forEach((ch, c) => (out[k * width + c] = ch.codePointAt(0)!)));
        return new Uint8Array(out.buffer);
      })()
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out.set([1, 0, header.length & 0xff, header.length >> 8], 6);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}
