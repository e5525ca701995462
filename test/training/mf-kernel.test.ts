import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assembleInt8Scan } from '../../scripts/build-wasm.js';
import type { Ratings } from '../../training/data/types.js';
import { MF_SGD_WASM, MF_SGD_WAT, sgdKernel } from '../../training/models/mf-kernel.js';

const f = Math.fround;

/** The kernel's arithmetic written out in f32 (four lane sums, added pairwise), one row at a time. */
function reference(r: Ratings, order: number[], P: Float32Array, Q: Float32Array, bu: Float32Array, bi: Float32Array, d: number, mu: number, lr: number, reg: number, regBias: number): number {
  // The kernel takes its scalars as f32.
  [mu, lr, reg, regBias] = [mu, lr, reg, regBias].map(f);
  let sse = 0;
  for (const row of order) {
    const u = r.user[row];
    const i = r.item[row];
    const lane = [0, 0, 0, 0];
    for (let c = 0; c < Math.ceil(d / 4) * 4; c++) {
      const p = c < d ? P[u * d + c] : 0;
      const q = c < d ? Q[i * d + c] : 0;
      lane[c % 4] = f(lane[c % 4] + f(p * q));
    }
    let pred = f(f(lane[0] + lane[1]) + f(lane[2] + lane[3]));
    pred = f(f(mu + f(bu[u] + bi[i])) + pred);
    const err = f(r.rating[row] - pred);
    sse += f(err * err);
    bu[u] = f(bu[u] + f(lr * f(err - f(regBias * bu[u]))));
    bi[i] = f(bi[i] + f(lr * f(err - f(regBias * bi[i]))));
    for (let c = 0; c < d; c++) {
      const p = P[u * d + c];
      const q = Q[i * d + c];
      P[u * d + c] = f(p + f(lr * f(f(err * q) - f(reg * p))));
      Q[i * d + c] = f(q + f(lr * f(f(err * p) - f(reg * q))));
    }
  }
  return sse;
}

const ratings: Ratings = {
  user: Int32Array.of(0, 1, 2, 0, 1, 2, 0),
  item: Int32Array.of(0, 1, 0, 1, 2, 2, 2),
  rating: Float32Array.of(5, 3, 4, 1, 2, 5, 4),
};

describe('the WebAssembly SIMD mf epoch (training/models/mf-kernel.ts)', () => {
  it('mf-sgd.wasm is what mf-sgd.wat assembles to', async () => {
    const built = await assembleInt8Scan(fileURLToPath(MF_SGD_WAT));
    expect(Buffer.compare(Buffer.from(built), await readFile(MF_SGD_WASM))).toBe(0);
  });

  it.each([4, 6, 8])('dim %i: two epochs equal the f32 reference update for update (padding to 4 lanes changes nothing)', (d) => {
    const rows = Int32Array.of(0, 1, 2, 3, 4, 6); // row 5 left out: only the given rows are visited
    const P = Float32Array.from({ length: 3 * d }, (_, k) => Math.sin(k + 1) * 0.3);
    const Q = Float32Array.from({ length: 3 * d }, (_, k) => Math.cos(k + 2) * 0.3);
    const kernel = sgdKernel(ratings, rows, { nUsers: 3, nItems: 3, dim: d, mu: 3.4, reg: 0.1, regBias: 0.02 }, P, Q);
    const [rP, rQ, rbu, rbi] = [P.slice(), Q.slice(), new Float32Array(3), new Float32Array(3)];
    const order = [6, 0, 4, 2, 1, 3];
    for (const lr of [0.05, 0.04]) {
      kernel.order.set(order);
      const sse = kernel.epoch(lr);
      const want = reference(ratings, order, rP, rQ, rbu, rbi, d, 3.4, lr, 0.1, 0.02);
      expect(sse).toBeCloseTo(want, 5);
      order.reverse();
    }
    const [kP, kQ, kbu, kbi] = [new Float32Array(3 * d), new Float32Array(3 * d), new Float32Array(3), new Float32Array(3)];
    kernel.read(kP, kQ, kbu, kbi);
    // The same f32 operations in the same order: equal to the last bit.
    expect(Array.from(kP)).toEqual(Array.from(rP));
    expect(Array.from(kQ)).toEqual(Array.from(rQ));
    expect(Array.from(kbu)).toEqual(Array.from(rbu));
    expect(Array.from(kbi)).toEqual(Array.from(rbi));
    expect(kbu[0]).not.toBe(0);
  });

  it('without biases (mu NaN) the biases stay zero and the prediction is the dot product', () => {
    const P = Float32Array.of(1, 0, 0, 0);
    const Q = Float32Array.of(2, 0, 0, 0);
    const one: Ratings = { user: Int32Array.of(0), item: Int32Array.of(0), rating: Float32Array.of(5) };
    const kernel = sgdKernel(one, Int32Array.of(0), { nUsers: 1, nItems: 1, dim: 4, mu: NaN, reg: 0, regBias: 0 }, P, Q);
    // err = 5 - 1 * 2 = 3: p += 0.1 * 3 * 2, q += 0.1 * 3 * 1.
    expect(kernel.epoch(0.1)).toBeCloseTo(9, 6);
    const [kP, kQ, kbu, kbi] = [new Float32Array(4), new Float32Array(4), new Float32Array(1), new Float32Array(1)];
    kernel.read(kP, kQ, kbu, kbi);
    expect(kP[0]).toBeCloseTo(1.6, 6);
    expect(kQ[0]).toBeCloseTo(2.3, 6);
    expect([kbu[0], kbi[0]]).toEqual([0, 0]);
  });
});
