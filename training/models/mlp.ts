import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../data/random.js';
import { DenseAdam } from './adam.js';

/**
 * A dense MLP head (hidden layers with relu, a linear last layer) trained with a hand-written backward pass whose
 * matrix products run in tfjs-core on the wasm backend.
 *
 * Why this engine (measured on this machine, ml-100k deep model 128 -> 70 -> 1, one epoch of 80k rows): scalar
 * typed-array loops ran 1.4-1.6 s/epoch at any batch size; tfjs wasm products run ~16 GMAC/s for a plain
 * matMul(a, b), so a step is a few ms at batch 1024. Two traps measured along the way: matMul with
 * transposeA/transposeB runs ~10x slower on wasm than an explicit tf.transpose + plain matMul, and returning a
 * typed array through tf.tidy makes tidy walk every element. Autodiff is not used: tfjs-core alone registers no
 * gradients in Node, and the backward pass of a dense stack is a few lines. The weights' source of truth is
 * plain Float32Arrays updated by a JS Adam (tens of thousands of values: microseconds), uploaded each step.
 */
export interface DenseLayer {
  inDim: number;
  outDim: number;
  /** [inDim, outDim], row-major. */
  kernel: Float32Array;
  bias: Float32Array;
  activation: 'relu' | 'linear';
}

export interface Mlp {
  layers: DenseLayer[];
}

/** Glorot-uniform kernels and zero biases (Keras's Dense defaults); hidden layers relu, the last linear. */
export function createMlp(inDim: number, hidden: number[], outDim: number, rng: Rng): Mlp {
  const widths = [inDim, ...hidden, outDim];
  const layers: DenseLayer[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    const [a, b] = [widths[k], widths[k + 1]];
    const limit = Math.sqrt(6 / (a + b));
    const kernel = new Float32Array(a * b);
    for (let j = 0; j < kernel.length; j++) kernel[j] = (2 * rng() - 1) * limit;
    layers.push({ inDim: a, outDim: b, kernel, bias: new Float32Array(b), activation: k + 2 < widths.length ? 'relu' : 'linear' });
  }
  return { layers };
}

/** Gradient of the loss with respect to the outputs [B, out] (already divided by B), and the summed loss. */
export type LossGrad = (out: Float32Array) => { grad: Float32Array; loss: number };

export class MlpTrainer {
  private readonly opt: { kernel: DenseAdam; bias: DenseAdam }[];

  constructor(
    readonly mlp: Mlp,
    lr: number,
    /** Inverted dropout after every hidden layer (0: none). */
    private readonly dropoutHidden: number,
    private readonly rng: Rng,
  ) {
    this.opt = mlp.layers.map((l) => ({ kernel: new DenseAdam(l.kernel.length, { lr }), bias: new DenseAdam(l.bias.length, { lr }) }));
  }

  set lr(lr: number) {
    for (const o of this.opt) o.kernel.lr = o.bias.lr = lr;
  }

  /**
   * One Adam step on a batch x [B, in] (row-major). Returns the gradient with respect to x, for the embedding rows
   * it was gathered from, and the summed loss.
   */
  step(x: Float32Array, batch: number, lossGrad: LossGrad): { dx: Float32Array; loss: number } {
    const layers = this.mlp.layers;
    const p = this.dropoutHidden;
    const masks = layers.map((l, k) => (p > 0 && k + 1 < layers.length ? dropoutMask(batch * l.outDim, p, this.rng) : undefined));
    const { dx, loss, grads } = mlpGradients(this.mlp, x, batch, lossGrad, masks);
    layers.forEach((l, k) => {
      this.opt[k].kernel.step(l.kernel, grads[k].kernel);
      this.opt[k].bias.step(l.bias, grads[k].bias);
    });
    return { dx, loss };
  }
}

/**
 * Forward and backward pass on a batch: gradients of the loss with respect to every kernel and bias, and to the
 * input x. `masks[k]` is layer k's dropout mask [B, out] (hidden layers only).
 */
export function mlpGradients(
  mlp: Mlp,
  x: Float32Array,
  batch: number,
  lossGrad: LossGrad,
  masks: (Float32Array | undefined)[] = [],
): { dx: Float32Array; loss: number; grads: { kernel: Float32Array; bias: Float32Array }[] } {
  const layers = mlp.layers;
  let loss = 0;
  let dx!: Float32Array;
  const grads: { kernel: Float32Array; bias: Float32Array }[] = [];
  tf.tidy(() => {
    const inputs: tf.Tensor2D[] = [];
    // d(output of layer k)/d(pre-activation), dropout mask included; undefined for a linear layer.
    const derivs: (tf.Tensor2D | undefined)[] = [];
    let h = tf.tensor2d(x, [batch, layers[0].inDim]);
    layers.forEach((l, k) => {
      inputs.push(h);
      const z = tf.add(tf.matMul(h, tf.tensor2d(l.kernel, [l.inDim, l.outDim])), tf.tensor1d(l.bias)) as tf.Tensor2D;
      if (l.activation === 'relu') {
        const mask = masks[k] ? tf.tensor2d(masks[k]!, [batch, l.outDim]) : undefined;
        const relu = tf.relu(z);
        h = mask ? tf.mul(relu, mask) : relu;
        const step = tf.step(z);
        derivs.push(mask ? (tf.mul(step, mask) as tf.Tensor2D) : step);
      } else {
        h = z;
        derivs.push(undefined);
      }
    });
    const lg = lossGrad(h.dataSync() as Float32Array);
    loss = lg.loss;
    let g = tf.tensor2d(lg.grad, [batch, layers[layers.length - 1].outDim]);
    const ones = tf.ones([1, batch]);
    for (let k = layers.length - 1; k >= 0; k--) {
      const l = layers[k];
      // Explicit transposes: matMul's transpose flags are ~10x slower on wasm (see above).
      const dW = tf.matMul(k === 0 ? tf.tensor2d(transpose(x, batch, l.inDim), [l.inDim, batch]) : tf.transpose(inputs[k]), g);
      const db = tf.matMul(ones, g);
      grads[k] = { kernel: dW.dataSync() as Float32Array, bias: db.dataSync() as Float32Array };
      const back: tf.Tensor2D = tf.matMul(g, tf.tensor2d(transpose(l.kernel, l.inDim, l.outDim), [l.outDim, l.inDim]));
      if (k === 0) dx = back.dataSync() as Float32Array;
      else g = derivs[k - 1] ? (tf.mul(back, derivs[k - 1]!) as tf.Tensor2D) : back;
    }
  });
  return { dx, loss, grads };
}

/** Inference (no dropout): x [n, in] -> outputs [n, out], in chunks so the wasm heap stays small. */
export function mlpForward(mlp: Mlp, x: Float32Array, n: number, chunk = 8192): Float32Array {
  const inDim = mlp.layers[0].inDim;
  const outDim = mlp.layers[mlp.layers.length - 1].outDim;
  const out = new Float32Array(n * outDim);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    tf.tidy(() => {
      let h = tf.tensor2d(x.subarray(start * inDim, (start + rows) * inDim), [rows, inDim]);
      for (const l of mlp.layers) {
        const z = tf.add(tf.matMul(h, tf.tensor2d(l.kernel, [l.inDim, l.outDim])), tf.tensor1d(l.bias)) as tf.Tensor2D;
        h = l.activation === 'relu' ? tf.relu(z) : z;
      }
      out.set(h.dataSync() as Float32Array, start * outDim);
    });
  }
  return out;
}

/**
 * Inverted-dropout mask: 0 with probability p, else 1 / (1 - p), so expectations match inference. The draws come
 * from an inline xorshift32 seeded by `rng` once per mask: calling `rng` per element was the largest single cost of
 * a deep-model epoch (17% in a profile), and a mask needs no more than 32-bit uniforms.
 */
export function dropoutMask(n: number, p: number, rng: Rng): Float32Array {
  const keep = 1 / (1 - p);
  const threshold = p * 0x1_0000_0000;
  const m = new Float32Array(n);
  let x = (rng() * 0x1_0000_0000) | 1;
  for (let k = 0; k < n; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    m[k] = x >>> 0 < threshold ? 0 : keep;
  }
  return m;
}

export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[base + c];
  }
  return out;
}
