import { readFileSync } from 'node:fs';
import type { Ratings } from '../data/types.js';

/** mf-sgd.wat assembled (npm's wabt; test/training/mf-kernel.test.ts checks the two agree). */
export const MF_SGD_WAT = new URL('./mf-sgd.wat', import.meta.url);
export const MF_SGD_WASM = new URL('./mf-sgd.wasm', import.meta.url);

let compiled: WebAssembly.Module | undefined;

/**
 * The mf SGD epoch in WebAssembly SIMD (mf-sgd.wat), over its own copies of the tables in the module's memory, each
 * factor row padded with zeros to a multiple of 4 (four f32 lanes per step; a zero column stays zero under the
 * updates, so the padding changes nothing). Shuffle `order` (a view into that memory) before each epoch, and
 * `read` the tables back when they are wanted.
 */
export interface SgdKernel {
  order: Int32Array;
  /** One pass over `order` at step size lr; the sum of squared errors before each step. */
  epoch(lr: number): number;
  /** Copies the kernel's factors and biases into these (unpadded) tables. */
  read(P: Float32Array, Q: Float32Array, bu: Float32Array, bi: Float32Array): void;
}

export interface SgdShape {
  nUsers: number;
  nItems: number;
  dim: number;
  /** Global mean; NaN for the plain dot-product model (no biases). */
  mu: number;
  reg: number;
  regBias: number;
}

/** A kernel over `rows` of `ratings`, starting from the factors P (nUsers x dim) and Q (nItems x dim), biases zero. */
export function sgdKernel(ratings: Ratings, rows: Int32Array, s: SgdShape, P: Float32Array, Q: Float32Array): SgdKernel {
  const w = Math.ceil(s.dim / 4) * 4;
  compiled ??= new WebAssembly.Module(readFileSync(MF_SGD_WASM));
  const instance = new WebAssembly.Instance(compiled, {});
  const memory = instance.exports.memory as WebAssembly.Memory;
  const epochFn = instance.exports.epoch as (...args: number[]) => number;
  const N = ratings.rating.length;
  // Byte offsets, each table 16-byte aligned.
  let end = 16;
  const take = (bytes: number) => {
    const at = end;
    end += Math.ceil(bytes / 16) * 16;
    return at;
  };
  const at = {
    order: take(rows.length * 4),
    user: take(N * 4),
    item: take(N * 4),
    rating: take(N * 4),
    P: take(s.nUsers * w * 4),
    Q: take(s.nItems * w * 4),
    bu: take(s.nUsers * 4),
    bi: take(s.nItems * 4),
  };
  const pages = Math.ceil(end / 65536) - memory.buffer.byteLength / 65536;
  if (pages > 0) memory.grow(pages);
  const buf = memory.buffer;
  new Int32Array(buf, at.user, N).set(ratings.user);
  new Int32Array(buf, at.item, N).set(ratings.item);
  new Float32Array(buf, at.rating, N).set(ratings.rating);
  const order = new Int32Array(buf, at.order, rows.length);
  order.set(rows);
  const bias = Number.isNaN(s.mu) ? 0 : 1;
  const kP = new Float32Array(buf, at.P, s.nUsers * w);
  const kQ = new Float32Array(buf, at.Q, s.nItems * w);
  const kbu = new Float32Array(buf, at.bu, s.nUsers);
  const kbi = new Float32Array(buf, at.bi, s.nItems);
  copyRows(P, s.dim, kP, w, s.nUsers);
  copyRows(Q, s.dim, kQ, w, s.nItems);
  return {
    order,
    epoch: (lr) => epochFn(at.order, rows.length, at.user, at.item, at.rating, at.P, at.Q, at.bu, at.bi, w, bias ? s.mu : 0, lr, s.reg, s.regBias, bias),
    read(toP, toQ, toBu, toBi) {
      copyRows(kP, w, toP, s.dim, s.nUsers);
      copyRows(kQ, w, toQ, s.dim, s.nItems);
      toBu.set(kbu);
      toBi.set(kbi);
    },
  };
}

/** Rows of width `fromW` into rows of width `toW` (the narrower of the two is copied; the rest stays as it is). */
function copyRows(from: Float32Array, fromW: number, to: Float32Array, toW: number, rows: number): void {
  if (fromW === toW) {
    to.set(from.subarray(0, rows * toW));
    return;
  }
  const n = Math.min(fromW, toW);
  for (let r = 0; r < rows; r++) to.set(from.subarray(r * fromW, r * fromW + n), r * toW);
}
