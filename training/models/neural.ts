import { createRng, shuffleInPlace } from '../data/random.js';
import type { Ratings } from '../data/types.js';
import type { EpochReport } from './epoch-report.js';
import { RowAdam } from './adam.js';
import { runEpochs } from './epoch-loop.js';
import type { ItemFeatures } from './item-features.js';
import { createMlp, dropoutMask, MlpTrainer, mlpForward, type Mlp } from './mlp.js';

/**
 * Embeddings + a dense head (notebooks 001 and 004): x = concat(user vector, item vector[, item features]) goes
 * through relu layers to one output (a rating) or one logit per rating class (softmax, cross-entropy).
 *
 * Embedding tables are typed arrays updated row-wise (lazy Adam on the rows a batch touched; see adam.ts); the
 * head runs on tfjs wasm (see mlp.ts). L2 on the embeddings acts on the rows of each batch, as Keras's
 * `embeddings_regularizer` does under a sparse optimiser.
 */
export interface NeuralOptions {
  dim: number;
  epochs: number;
  batch: number;
  /** Adam step size, head and embeddings. */
  lr: number;
  /** Multiplies lr after every epoch. */
  lrDecay: number;
  /** L2 weight on embedding rows (loss += l2 * |row|^2 per batch that uses the row). */
  l2: number;
  /** Hidden layer widths (relu). */
  hidden: number[];
  /** Dropout on the user and item vectors (not on item features). */
  dropoutInput: number;
  /** Dropout after each hidden layer. */
  dropoutHidden: number;
  /** Embeddings start uniform in (-initScale, initScale) (Keras's Embedding default: 0.05). */
  initScale: number;
  /** Regression loss; classes always use cross-entropy. */
  loss: 'mse' | 'mae';
  seed: number;
}

export type NeuralOutput = { type: 'regression' } | { type: 'classes'; values: number[] };

export interface NeuralParams {
  nUsers: number;
  nItems: number;
  dim: number;
  userEmb: Float32Array;
  itemEmb: Float32Array;
  features?: ItemFeatures;
  mlp: Mlp;
  output: NeuralOutput;
}

export interface NeuralHooks {
  validRows?: Int32Array;
  onEpoch?: (r: EpochReport) => void;
}

export function trainNeural(
  name: string,
  ratings: Ratings,
  rows: Int32Array,
  nUsers: number,
  nItems: number,
  o: NeuralOptions,
  output: NeuralOutput,
  features: ItemFeatures | undefined,
  hooks: NeuralHooks = {},
): { params: NeuralParams; epochs: EpochReport[] } {
  const rng = createRng(o.seed);
  const d = o.dim;
  const inDim = 2 * d + (features?.width ?? 0);
  const uniform = (n: number) => Float32Array.from({ length: n }, () => (2 * rng() - 1) * o.initScale);
  const userEmb = uniform(nUsers * d);
  const itemEmb = uniform(nItems * d);
  const nOut = output.type === 'classes' ? output.values.length : 1;
  const mlp = createMlp(inDim, o.hidden, nOut, rng);
  const params: NeuralParams = { nUsers, nItems, dim: d, userEmb, itemEmb, features, mlp, output };
  const classOf = output.type === 'classes' ? classIndex(output.values) : undefined;
  if (output.type === 'regression') {
    // Start at the mean rating: the network then learns deviations, as a biased MF model does.
    let mu = 0;
    for (const r of rows) mu += ratings.rating[r];
    mlp.layers[mlp.layers.length - 1].bias[0] = mu / Math.max(1, rows.length);
  }

  const head = new MlpTrainer(mlp, o.lr, o.dropoutHidden, rng);
  const userOpt = new RowAdam(nUsers, d, { lr: o.lr });
  const itemOpt = new RowAdam(nItems, d, { lr: o.lr });
  const userRows = new SparseRows(nUsers, d, o.batch);
  const itemRows = new SparseRows(nItems, d, o.batch);
  const order = Int32Array.from(rows);
  const x = new Float32Array(o.batch * inDim);
  const target = new Float32Array(o.batch);
  const batchStep = (start: number): number => {
    const B = Math.min(o.batch, order.length - start);
    const mask = o.dropoutInput > 0 ? dropoutMask(B * 2 * d, o.dropoutInput, rng) : undefined;
    for (let b = 0; b < B; b++) {
      const row = order[start + b];
      fillInput(x, b, params, ratings.user[row], ratings.item[row], mask);
      target[b] = classOf ? classOf(ratings.rating[row]) : ratings.rating[row];
    }
    const xb = x.subarray(0, B * inDim);
    const lossGrad = output.type === 'classes' ? crossEntropyGrad(target, B, nOut) : regressionGrad(target, B, o.loss);
    const { dx, loss } = head.step(xb, B, lossGrad);
    // Back into the embedding rows: through the input dropout mask, summed over repeats, plus L2 once per row.
    userOpt.nextStep();
    itemOpt.nextStep();
    for (let b = 0; b < B; b++) {
      const row = order[start + b];
      userRows.add(ratings.user[row], dx, b * inDim, mask, b * 2 * d);
      itemRows.add(ratings.item[row], dx, b * inDim + d, mask, b * 2 * d + d);
    }
    userRows.apply(userEmb, userOpt, o.l2);
    itemRows.apply(itemEmb, itemOpt, o.l2);
    return loss;
  };
  const epochs = runEpochs({
    model: name,
    epochs: o.epochs,
    lr: o.lr,
    lrDecay: o.lrDecay,
    weights: () => neuralWeights(params),
    measure: () => (hooks.validRows && hooks.validRows.length > 0 ? validFigures(params, ratings, hooks.validRows, o.loss, classOf) : {}),
    onEpoch: hooks.onEpoch,
    work: (_epoch, lr) => {
      head.lr = userOpt.lr = itemOpt.lr = lr;
      shuffleInPlace(order, rng);
      let lossSum = 0;
      for (let start = 0; start < order.length; start += o.batch) lossSum += batchStep(start);
      return { trainLoss: lossSum / Math.max(1, order.length) };
    },
  });
  return { params, epochs };
}

/** The tables that must stay finite: both embeddings and every head layer. */
function neuralWeights(p: NeuralParams): Record<string, Float32Array> {
  const w: Record<string, Float32Array> = { 'user embeddings': p.userEmb, 'item embeddings': p.itemEmb };
  p.mlp.layers.forEach((l, k) => {
    w[`head layer ${k + 1} kernel`] = l.kernel;
    w[`head layer ${k + 1} bias`] = l.bias;
  });
  return w;
}

/** Validation loss (the training loss's kind) and RMSE of the float model on `v`. */
function validFigures(p: NeuralParams, ratings: Ratings, v: Int32Array, lossKind: 'mse' | 'mae', classOf: ((r: number) => number) | undefined) {
  const nOut = p.output.type === 'classes' ? p.output.values.length : 1;
  const users = Int32Array.from(v, (r) => ratings.user[r]);
  const items = Int32Array.from(v, (r) => ratings.item[r]);
  const pred = predictNeural(p, users, items);
  let loss = 0;
  let se = 0;
  v.forEach((r, k) => {
    const y = ratings.rating[r];
    se += (pred.rating[k] - y) ** 2;
    if (pred.probs) loss -= Math.log(Math.max(1e-12, pred.probs[k * nOut + classOf!(y)]));
    else loss += lossKind === 'mae' ? Math.abs(pred.rating[k] - y) : (pred.rating[k] - y) ** 2;
  });
  return { validLoss: loss / v.length, validRmse: Math.sqrt(se / v.length) };
}

/** Float-model predictions: the rating (expected rating for classes, unclipped) and, for classes, probabilities. */
export function predictNeural(p: NeuralParams, users: Int32Array, items: Int32Array): { rating: Float32Array; probs?: Float32Array } {
  const inDim = 2 * p.dim + (p.features?.width ?? 0);
  const n = users.length;
  const rating = new Float32Array(n);
  const chunk = 8192;
  const nOut = p.output.type === 'classes' ? p.output.values.length : 1;
  const probs = p.output.type === 'classes' ? new Float32Array(n * nOut) : undefined;
  const x = new Float32Array(Math.min(chunk, n) * inDim);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    for (let b = 0; b < rows; b++) fillInput(x, b, p, users[start + b], items[start + b], undefined);
    const out = mlpForward(p.mlp, x.subarray(0, rows * inDim), rows);
    if (p.output.type === 'regression') {
      rating.set(out, start);
      continue;
    }
    const values = p.output.values;
    for (let b = 0; b < rows; b++) {
      const pr = probs!.subarray((start + b) * nOut, (start + b + 1) * nOut);
      softmaxInto(out, b * nOut, nOut, pr);
      let e = 0;
      for (let c = 0; c < nOut; c++) e += pr[c] * values[c];
      rating[start + b] = e;
    }
  }
  return probs ? { rating, probs } : { rating };
}

function fillInput(x: Float32Array, b: number, p: NeuralParams, u: number, i: number, mask: Float32Array | undefined): void {
  const d = p.dim;
  const fw = p.features?.width ?? 0;
  const base = b * (2 * d + fw);
  const ub = u * d;
  const ib = i * d;
  if (mask) {
    const m = b * 2 * d;
    for (let f = 0; f < d; f++) x[base + f] = p.userEmb[ub + f] * mask[m + f];
    for (let f = 0; f < d; f++) x[base + d + f] = p.itemEmb[ib + f] * mask[m + d + f];
  } else {
    x.set(p.userEmb.subarray(ub, ub + d), base);
    x.set(p.itemEmb.subarray(ib, ib + d), base + d);
  }
  if (fw) x.set(p.features!.data.subarray(i * fw, (i + 1) * fw), base + 2 * d);
}

function regressionGrad(target: Float32Array, B: number, loss: 'mse' | 'mae') {
  return (out: Float32Array) => {
    const grad = new Float32Array(B);
    let sum = 0;
    for (let b = 0; b < B; b++) {
      const e = out[b] - target[b];
      if (loss === 'mae') {
        sum += Math.abs(e);
        grad[b] = Math.sign(e) / B;
      } else {
        sum += e * e;
        grad[b] = (2 * e) / B;
      }
    }
    return { grad, loss: sum };
  };
}

function crossEntropyGrad(target: Float32Array, B: number, K: number) {
  return (logits: Float32Array) => {
    const grad = new Float32Array(B * K);
    let sum = 0;
    for (let b = 0; b < B; b++) {
      const g = grad.subarray(b * K, (b + 1) * K);
      softmaxInto(logits, b * K, K, g);
      const y = target[b];
      sum -= Math.log(Math.max(1e-12, g[y]));
      g[y] -= 1;
      for (let c = 0; c < K; c++) g[c] /= B;
    }
    return { grad, loss: sum };
  };
}

function softmaxInto(logits: Float32Array, off: number, K: number, out: Float32Array): void {
  let max = -Infinity;
  for (let c = 0; c < K; c++) max = Math.max(max, logits[off + c]);
  let s = 0;
  for (let c = 0; c < K; c++) s += out[c] = Math.exp(logits[off + c] - max);
  for (let c = 0; c < K; c++) out[c] /= s;
}

/** rating value -> class index; the values are the dataset's distinct ratings. */
export function classIndex(values: number[]): (rating: number) => number {
  const index = new Map(values.map((v, k) => [v, k]));
  return (r) => {
    const k = index.get(r);
    if (k === undefined) throw new RangeError(`rating ${r} is not one of the classes ${values.join(', ')}`);
    return k;
  };
}

/** Gradient rows of one embedding table for one batch: repeats summed, then one Adam update per distinct row. */
class SparseRows {
  private readonly slot: Int32Array;
  private readonly rowOf: Int32Array;
  private readonly grad: Float32Array;
  private n = 0;

  constructor(rows: number, private readonly dim: number, batch: number) {
    this.slot = new Int32Array(rows).fill(-1);
    this.rowOf = new Int32Array(batch);
    this.grad = new Float32Array(batch * dim);
  }

  add(row: number, dx: Float32Array, off: number, mask: Float32Array | undefined, maskOff: number): void {
    let s = this.slot[row];
    if (s < 0) {
      s = this.slot[row] = this.n++;
      this.rowOf[s] = row;
      this.grad.fill(0, s * this.dim, (s + 1) * this.dim);
    }
    const g = s * this.dim;
    for (let f = 0; f < this.dim; f++) this.grad[g + f] += mask ? dx[off + f] * mask[maskOff + f] : dx[off + f];
  }

  apply(table: Float32Array, opt: RowAdam, l2: number): void {
    const d = this.dim;
    for (let s = 0; s < this.n; s++) {
      const row = this.rowOf[s];
      const g = s * d;
      if (l2 > 0) for (let f = 0; f < d; f++) this.grad[g + f] += 2 * l2 * table[row * d + f];
      opt.updateRow(table, row, this.grad, g);
      this.slot[row] = -1;
    }
    this.n = 0;
  }
}

