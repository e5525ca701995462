import { describe, expect, it } from 'vitest';
import { decodeF16, encodeF16, fromHalf, toHalf } from '../../shared/artifact/f16.js';
import { dequantizeQ8, quantizeQ8 } from '../../shared/artifact/q8.js';

describe('q8 per-row quantisation', () => {
  it('encodes a known row exactly', () => {
    const q = quantizeQ8(Float32Array.of(1.27, -0.64, 0, 0.01), 1, 4);
    expect(q.scales[0]).toBeCloseTo(0.01, 7);
    expect(Array.from(q.values)).toEqual([127, -64, 0, 1]);
  });

  it('keeps every element within max|row|/254 of the original (the worst-case bound)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const rows = 50, cols = 33;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => rand() * (1 + (i % rows)));
    const back = dequantizeQ8(quantizeQ8(data, rows, cols), rows, cols);
    for (let r = 0; r < rows; r++) {
      const row = data.subarray(r * cols, (r + 1) * cols);
      const bound = Math.max(...Array.from(row, Math.abs)) / 254;
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(back[r * cols + c] - row[c])).toBeLessThanOrEqual(bound * (1 + 1e-6));
      }
    }
  });

  it('maps an all-zero row to zeros with scale 0', () => {
    const q = quantizeQ8(new Float32Array(3), 1, 3);
    expect(q.scales[0]).toBe(0);
    expect(Array.from(dequantizeQ8(q, 1, 3))).toEqual([0, 0, 0]);
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => quantizeQ8(new Float32Array(5), 2, 3)).toThrow(/5 values do not make a 2x3 matrix/);
  });
});

describe.each([
  [1, 0x3c00],
  [-2, 0xc000],
  [0.5, 0x3800],
  [65504, 0x7bff],
  [2 ** -24, 0x0001],
  [0, 0x0000],
  [1 / 3, 0x3555],
  [Infinity, 0x7c00],
  [1e6, 0x7c00],
])('f16 known vector %f', (value, bits) => {
  it(`encodes to 0x${bits.toString(16)} and back`, () => {
    expect(toHalf(value)).toBe(bits);
    if (Number.isFinite(value) && value < 65520) expect(fromHalf(bits)).toBeCloseTo(value, 3);
  });
});

describe('f16 arrays', () => {
  it('round-trip within half a unit in the last place (relative 2^-11)', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10);
    const back = decodeF16(encodeF16(data));
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(back[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -11 + 2 ** -25);
    }
  });

  it('keeps NaN as NaN', () => {
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });
});
