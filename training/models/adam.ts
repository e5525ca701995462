/**
 * Adam (Kingma & Ba) on typed arrays, in two forms:
 * - `DenseAdam` for small dense parameters (the MLP head): every value moves every step, as Keras does.
 * - `RowAdam` for embedding tables: only the rows a batch touched move ("lazy" Adam, TF's LazyAdam). docs/recipes.md
 *   measured dense Adam on embeddings as both slower and worse: rows absent from a batch would still take full
 *   steps toward zero under L2.
 * Both use the global step count for bias correction. epsilon 1e-7 is Keras's default.
 */
export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class DenseAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(readonly size: number, c: AdamConfig) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.lr = c.lr;
    this.b1 = c.beta1 ?? 0.9;
    this.b2 = c.beta2 ?? 0.999;
    this.eps = c.epsilon ?? 1e-7;
  }

  /** params -= lr * mhat / (sqrt(vhat) + eps), for every value. */
  step(params: Float32Array, grad: ArrayLike<number>): void {
    this.t++;
    const { m, v, b1, b2, eps } = this;
    const a = (this.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let k = 0; k < params.length; k++) {
      const g = grad[k];
      m[k] = b1 * m[k] + (1 - b1) * g;
      v[k] = b2 * v[k] + (1 - b2) * g * g;
      params[k] -= (a * m[k]) / (Math.sqrt(v[k]) + eps);
    }
  }
}

export class RowAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  private a = 0;
  lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(rows: number, readonly dim: number, c: AdamConfig) {
    this.m = new Float32Array(rows * dim);
    this.v = new Float32Array(rows * dim);
    this.lr = c.lr;
    this.b1 = c.beta1 ?? 0.9;
    this.b2 = c.beta2 ?? 0.999;
    this.eps = c.epsilon ?? 1e-7;
  }

  /** Call once per batch, before the row updates of that batch. */
  nextStep(): void {
    this.t++;
    this.a = (this.lr * Math.sqrt(1 - this.b2 ** this.t)) / (1 - this.b1 ** this.t);
  }

  /** Updates row `row` of `table` with `grad[off .. off + dim)`. */
  updateRow(table: Float32Array, row: number, grad: Float32Array, off: number): void {
    const { m, v, b1, b2, eps, a, dim } = this;
    const base = row * dim;
    for (let f = 0; f < dim; f++) {
      const g = grad[off + f];
      const k = base + f;
      m[k] = b1 * m[k] + (1 - b1) * g;
      v[k] = b2 * v[k] + (1 - b2) * g * g;
      table[k] -= (a * m[k]) / (Math.sqrt(v[k]) + eps);
    }
  }
}
