// npx tsx bench/dense-head.ts [--data ../shared/data/ml-100k] [--reps 5]
//
// Which engine should run the dense heads' forward + backward pass in training: scalar typed-array loops (4-row
// register blocking, contiguous inner loops) or tfjs-core products on the wasm backend (training/models/mlp.ts)?
// Side by side in one process: seconds per epoch of ml-100k's u1.base (80,000 rows) for the deep (100 -> 70 -> 1)
// and hybrid (149 -> 64 -> 64 -> 1) shapes at three batch sizes, medians of --reps epochs; then a real deep and
// hybrid training epoch on u1 with the chosen engine.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../training/data/load.js';
import { createRng, type Rng } from '../training/data/random.js';
import { buildItemFeatures } from '../training/models/item-features.js';
import { createMlp, mlpGradients, type Mlp } from '../training/models/mlp.js';
import { trainNeural } from '../training/models/neural.js';
import { deepKind } from '../training/pipeline/train-deep.js';
import { hybridKind } from '../training/pipeline/train-hybrid.js';
import { useWasmBackend } from '../training/tf-node.js';

const { values } = parseArgs({ options: { data: { type: 'string', default: '../shared/data/ml-100k' }, reps: { type: 'string', default: '5' } } });
const REPS = Number(values.reps);
const ROWS = 80_000;

/** The same pass as mlpGradients, in scalar loops: forward, loss gradient, backward to kernels, biases and x. */
function jsGradients(mlp: Mlp, x: Float32Array, B: number, target: Float32Array) {
  const acts: Float32Array[] = [x];
  for (const l of mlp.layers) {
    const h = acts[acts.length - 1];
    const z = new Float32Array(B * l.outDim);
    matmul(h, l.kernel, z, B, l.inDim, l.outDim);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < l.outDim; j++) {
        const v = z[b * l.outDim + j] + l.bias[j];
        z[b * l.outDim + j] = l.activation === 'relu' && v < 0 ? 0 : v;
      }
    }
    acts.push(z);
  }
  const out = acts[acts.length - 1];
  let g = Float32Array.from(out, (o, b) => (2 * (o - target[b])) / B);
  const grads: Float32Array[] = [];
  for (let k = mlp.layers.length - 1; k >= 0; k--) {
    const l = mlp.layers[k];
    const h = acts[k];
    const dW = new Float32Array(l.inDim * l.outDim);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < l.inDim; i++) {
        const a = h[b * l.inDim + i];
        if (a === 0) continue;
        const row = i * l.outDim;
        for (let j = 0; j < l.outDim; j++) dW[row + j] += a * g[b * l.outDim + j];
      }
    }
    grads.push(dW);
    const back = new Float32Array(B * l.inDim);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < l.inDim; i++) {
        let s = 0;
        const row = i * l.outDim;
        for (let j = 0; j < l.outDim; j++) s += g[b * l.outDim + j] * l.kernel[row + j];
        back[b * l.inDim + i] = k > 0 && h[b * l.inDim + i] <= 0 ? 0 : s;
      }
    }
    g = back;
  }
  return { dx: g, grads };
}

/** c[B, n] = a[B, m] @ w[m, n], four rows of a at a time so each w row is read once per four outputs. */
function matmul(a: Float32Array, w: Float32Array, c: Float32Array, B: number, m: number, n: number): void {
  let b = 0;
  for (; b + 4 <= B; b += 4) {
    const [o0, o1, o2, o3] = [b * n, (b + 1) * n, (b + 2) * n, (b + 3) * n];
    for (let i = 0; i < m; i++) {
      const a0 = a[b * m + i], a1 = a[(b + 1) * m + i], a2 = a[(b + 2) * m + i], a3 = a[(b + 3) * m + i];
      const row = i * n;
      for (let j = 0; j < n; j++) {
        const wv = w[row + j];
        c[o0 + j] += a0 * wv;
        c[o1 + j] += a1 * wv;
        c[o2 + j] += a2 * wv;
        c[o3 + j] += a3 * wv;
      }
    }
  }
  for (; b < B; b++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[b * n + j] += a[b * m + i] * w[i * n + j];
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

function epochSeconds(run: () => void, steps: number): number {
  for (let w = 0; w < Math.min(20, steps); w++) run();
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) run();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

await useWasmBackend();
const rows: Record<string, string | number>[] = [];
for (const [shape, inDim, hidden] of [['deep', 100, [70]], ['hybrid', 149, [64, 64]]] as [string, number, number[]][]) {
  for (const B of [64, 256, 1024]) {
    const rng: Rng = createRng(1);
    const mlp = createMlp(inDim, hidden, 1, rng);
    const x = Float32Array.from({ length: B * inDim }, () => rng() - 0.5);
    const target = Float32Array.from({ length: B }, () => 1 + 4 * rng());
    const steps = Math.ceil(ROWS / B);
    const lossGrad = (out: Float32Array) => ({ grad: Float32Array.from(out, (o, b) => (2 * (o - target[b])) / B), loss: 0 });
    const js = epochSeconds(() => jsGradients(mlp, x, B, target), steps);
    const wasm = epochSeconds(() => mlpGradients(mlp, x, B, lossGrad), steps);
    rows.push({ shape, batch: B, 'typed-array s/epoch': js.toFixed(3), 'tfjs wasm s/epoch': wasm.toFixed(3), speedup: (js / wasm).toFixed(1) });
  }
}
console.table(rows);

const dataDir = path.resolve(values.data!);
if (existsSync(dataDir)) {
  const ds = await loadDataset(dataDir);
  const split = ds.officialSplits!.u1;
  for (const kind of [deepKind, hybridKind]) {
    const o = kind.parse({ epochs: '3' }, 1);
    const features = kind.kind === 'hybrid' ? buildItemFeatures(ds, split.train) : undefined;
    const { epochs } = trainNeural(kind.kind, ds.ratings, split.train, ds.userIds.length, ds.itemIds.length, o, { type: 'regression' }, features);
    console.log(`${kind.kind} on ml-100k u1 (batch ${o.batch}): median epoch ${median(epochs.map((e) => e.seconds)).toFixed(2)} s (embeddings + head, tfjs wasm engine)`);
  }
} else {
  console.log(`${dataDir} not found: skipped the ml-100k training epochs`);
}
