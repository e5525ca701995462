import { describe, expect, it } from 'vitest';
import { mae, rmse } from '../../training/eval/metrics.js';

describe('rating metrics on hand-computed vectors', () => {
  it('rmse and mae', () => {
    // errors 1, -2, 0, 3: squares 1+4+0+9 = 14 -> sqrt(14/4); abs 1+2+0+3 = 6 -> 1.5
    expect(rmse([4, 1, 3, 5], [3, 3, 3, 2])).toBeCloseTo(Math.sqrt(3.5), 12);
    expect(mae([4, 1, 3, 5], [3, 3, 3, 2])).toBe(1.5);
    expect(rmse([2, 2], [2, 2])).toBe(0);
  });

  it('refuses misaligned or empty inputs', () => {
    expect(() => rmse([1], [1, 2])).toThrow(/1 predictions for 2 truths/);
    expect(() => mae([], [])).toThrow(/test split is empty/);
  });
});
