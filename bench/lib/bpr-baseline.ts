// Today's bpr trainer (training/models/bpr.ts before its epochs moved onto runEpochs), kept unchanged as the
// comparator the ranker-epochs bench part times the new ranker against: same arithmetic (the row math is bpr's own,
// training/models/bpr-rows.ts), its own loop and its former defaults.
import { createRng, shuffleInPlace } from '../../training/data/random.js';
import type { Ratings } from '../../training/data/types.js';
import { userItems, type UserItems } from '../../training/eval/ranking.js';
import { bprLoss, checkOptions, type BprOptions, type BprParams } from '../../training/models/bpr.js';
import { activate, fixedNegatives, represent, sampleNegative, table, update } from '../../training/models/bpr-rows.js';
import type { EpochReport } from '../../training/models/epoch-report.js';
import { allFinite, DivergenceError } from '../../training/models/divergence.js';

/** bpr's defaults as they were (lr 0.05, reg 0.02), which the comparator keeps. */
export const BPR_DEFAULTS: BprOptions = {
  itemDim: 125,
  tagDim: 25,
  epochs: 40,
  lr: 0.05,
  reg: 0.02,
  negatives: 1,
  optimizer: 'rowwise-adagrad',
  lrDecay: 1,
  initScale: 0.05,
  seed: 42,
};

export function trainBpr(
  ratings: Ratings,
  trainRows: Int32Array,
  seen: UserItems,
  nUsers: number,
  nItems: number,
  itemTags: UserItems,
  options: Partial<BprOptions> = {},
  hooks: { validRows?: Int32Array; onEpoch?: (r: EpochReport) => void; evaluate?: (p: BprParams) => Record<string, number> } = {},
): { params: BprParams; epochs: EpochReport[] } {
  const o = { ...BPR_DEFAULTS, ...options };
  checkOptions(o);
  const nTags = itemTags.indices.length ? Math.max(...itemTags.indices) + 1 : 0;
  const tagDim = nTags === 0 ? 0 : o.tagDim;
  const di = o.itemDim;
  const d = di + tagDim;
  const rng = createRng(o.seed);
  const init = (n: number) => Float32Array.from({ length: n }, () => (2 * rng() - 1) * o.initScale);
  const params: BprParams = {
    nUsers,
    nItems,
    nTags,
    itemDim: di,
    tagDim,
    user: init(nUsers * d),
    item: init(nItems * di),
    tag: init(nTags * tagDim),
    itemTags,
  };
  const tables = [params.user, params.item, params.tag].map((w, k) => table(w, [d, di, tagDim][k], o.optimizer));
  const [U, E, G] = tables;
  // Validation negatives avoid the user's test items as well as the training ones.
  const validTriplets = hooks.validRows
    ? fixedNegatives(ratings, hooks.validRows, userItems(ratings, concat(trainRows, hooks.validRows), nUsers), nItems, createRng(o.seed + 1))
    : undefined;

  const wu = new Float64Array(d), du = new Float64Array(d);
  const vp = new Float64Array(d), dp = new Float64Array(d);
  const vn = new Float64Array(d), dn = new Float64Array(d);
  const grad = new Float64Array(d);
  const tagGrad = new Float64Array(nTags * tagDim);
  const tagTouched = new Uint8Array(nTags);
  const touchedList = new Int32Array(nTags);
  const order = Int32Array.from(trainRows);
  const epochs: EpochReport[] = [];
  let lr = o.lr;

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    shuffleInPlace(order, rng);
    let lossSum = 0;
    let steps = 0;
    for (let n = 0; n < order.length; n++) {
      const u = ratings.user[order[n]];
      const p = ratings.item[order[n]];
      for (let s = 0; s < o.negatives; s++) {
        const q = sampleNegative(seen, u, nItems, rng);
        if (q < 0) break; // the user has seen every item: no negative exists
        activate(U.w, u, d, wu, du);
        represent(params, p, vp, dp);
        represent(params, q, vn, dn);
        let x = 0;
        for (let f = 0; f < d; f++) x += wu[f] * (vp[f] - vn[f]);
        lossSum += x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
        steps++;
        const c = 1 / (1 + Math.exp(x)); // sigma(-x) = -dLoss/dx

        for (let f = 0; f < d; f++) grad[f] = -c * (vp[f] - vn[f]) * du[f];
        update(U, u, grad, 0, lr, o.reg, o.optimizer);
        let nTouched = 0;
        for (let side = 0; side < 2; side++) {
          const item = side === 0 ? p : q;
          const dv = side === 0 ? dp : dn;
          const coef = side === 0 ? -c : c;
          for (let f = 0; f < di; f++) grad[f] = coef * wu[f] * dv[f];
          update(E, item, grad, 0, lr, o.reg, o.optimizer);
          if (tagDim === 0) continue;
          const t0i = itemTags.indptr[item];
          const nt = itemTags.indptr[item + 1] - t0i;
          for (let j = 0; j < nt; j++) {
            const t = itemTags.indices[t0i + j];
            if (!tagTouched[t]) {
              tagTouched[t] = 1;
              touchedList[nTouched++] = t;
            }
            const share = coef / nt;
            for (let f = 0, to = t * tagDim; f < tagDim; f++) tagGrad[to + f] += share * wu[di + f] * dv[di + f];
          }
        }
        for (let j = 0; j < nTouched; j++) {
          const t = touchedList[j];
          update(G, t, tagGrad, t * tagDim, lr, o.reg, o.optimizer);
          tagGrad.fill(0, t * tagDim, (t + 1) * tagDim);
          tagTouched[t] = 0;
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const trainLoss = lossSum / Math.max(1, steps);
    const broken = ['user', 'item', 'tag'].filter((_, k) => !allFinite(tables[k].w));
    if (!Number.isFinite(trainLoss) || broken.length) {
      const what = broken.length ? `non-finite ${broken.join(' and ')} embeddings, ` : '';
      throw new DivergenceError('bpr', epoch, `${what}train BPR loss ${trainLoss}`, lr);
    }
    const report: EpochReport = { epoch, seconds, trainLoss };
    if (validTriplets) report.validLoss = bprLoss(params, validTriplets);
    if (hooks.evaluate) Object.assign(report, hooks.evaluate(params));
    epochs.push(report);
    hooks.onEpoch?.(report);
    lr *= o.lrDecay;
  }
  return { params, epochs };
}

function concat(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
