import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../training/data/random.js';
import { DenseAdam, RowAdam } from '../../training/models/adam.js';
import { createMlp, mlpForward, mlpGradients, type Mlp } from '../../training/models/mlp.js';
import { useWasmBackend } from '../../training/tf-node.js';

const B = 6;
const IN = 5;

function mseLoss(target: Float32Array) {
  return (out: Float32Array) => {
    const grad = new Float32Array(out.length);
    let loss = 0;
    for (let k = 0; k < out.length; k++) {
      loss += (out[k] - target[k]) ** 2;
      grad[k] = (2 * (out[k] - target[k])) / B;
    }
    return { grad, loss };
  };
}

/** The mean loss the gradients are of, computed in float64 from the f32 forward pass. */
function meanLoss(mlp: Mlp, x: Float32Array, target: Float32Array): number {
  const out = mlpForward(mlp, x, B);
  let s = 0;
  for (let k = 0; k < out.length; k++) s += (out[k] - target[k]) ** 2;
  return s / B;
}

describe('the hand-written MLP backward pass (tfjs wasm products)', () => {
  beforeAll(useWasmBackend);

  const rng = createRng(3);
  const mlp = createMlp(IN, [4, 3], 2, rng);
  for (const l of mlp.layers) l.bias.forEach((_, j) => (l.bias[j] = 0.3 * (rng() - 0.2)));
  const x = Float32Array.from({ length: B * IN }, () => 2 * rng() - 1);
  const target = Float32Array.from({ length: B * 2 }, () => 2 * rng() - 1);

  it('matches central finite differences for every kernel, bias and input value', () => {
    const { grads, dx, loss } = mlpGradients(mlp, x, B, mseLoss(target));
    expect(loss / B).toBeCloseTo(meanLoss(mlp, x, target), 5);
    const eps = 1e-3;
    const numeric = (arr: Float32Array, k: number) => {
      const keep = arr[k];
      arr[k] = keep + eps;
      const up = meanLoss(mlp, x, target);
      arr[k] = keep - eps;
      const down = meanLoss(mlp, x, target);
      arr[k] = keep;
      return (up - down) / (2 * eps);
    };
    let checked = 0;
    mlp.layers.forEach((l, k) => {
      for (let j = 0; j < l.kernel.length; j++, checked++) expect(grads[k].kernel[j]).toBeCloseTo(numeric(l.kernel, j), 3);
      for (let j = 0; j < l.bias.length; j++, checked++) expect(grads[k].bias[j]).toBeCloseTo(numeric(l.bias, j), 3);
    });
    // dL/dx is per batch row: the loss is a mean over rows, so the finite difference of the mean is dx.
    for (let j = 0; j < x.length; j++, checked++) expect(dx[j]).toBeCloseTo(numeric(x, j), 3);
    expect(checked).toBe(5 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2 + B * IN);
  });

  it('a dropped hidden unit passes no gradient: zero rows in the next kernel gradient', () => {
    const masks = [new Float32Array(B * 4).fill(2), undefined, undefined];
    for (let b = 0; b < B; b++) masks[0]![b * 4 + 1] = 0; // unit 1 of layer 0 dropped for the whole batch
    const { grads } = mlpGradients(mlp, x, B, mseLoss(target), masks);
    expect(Array.from(grads[1].kernel.subarray(1 * 3, 2 * 3))).toEqual([0, 0, 0]);
    expect(grads[0].bias[1]).toBe(0);
    expect(grads[1].kernel.subarray(0, 3).some((g) => g !== 0)).toBe(true);
  });
});

describe('Adam', () => {
  it('takes a first step of lr in the direction of -sign(gradient) (bias-corrected)', () => {
    const p = Float32Array.of(1, -2, 0.5);
    new DenseAdam(3, { lr: 0.1 }).step(p, [0.5, -3, 0]);
    expect(p[0]).toBeCloseTo(0.9, 5);
    expect(p[1]).toBeCloseTo(-1.9, 5);
    expect(p[2]).toBe(0.5);
  });

  it('RowAdam moves only the rows it is given', () => {
    const table = Float32Array.of(1, 1, 2, 2, 3, 3);
    const opt = new RowAdam(3, 2, { lr: 0.5 });
    opt.nextStep();
    opt.updateRow(table, 1, Float32Array.of(9, 9, 1, -1), 2);
    [1, 1, 1.5, 2.5, 3, 3].forEach((v, k) => expect(table[k]).toBeCloseTo(v, 5));
  });
});
