// Cost of cold start from examples on a 10k x 64 model (tfjs wasm backend in Node): the in-request logistic fit
// alone and the whole query (fit + two ranked lists), for several example counts.
//   npx tsx bench/from-examples.ts [--items 10000 --dim 64 --reps 100]
import { fitLogistic, recommendFromExamples } from '../shared/model/from-examples.js';
import { TENSOR_NAMES, type LoadedModel } from '../shared/model/loaded.js';
import { columns } from '../shared/model/vectors.js';
import { createRng } from '../training/data/random.js';
import { buildArtifact, serveAndMeasure } from '../training/export/artifact-builder.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('items', 10_000);
const D = arg('dim', 64);
const REPS = arg('reps', 100);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const rng = createRng(5);
  const built = await buildArtifact({
    kind: 'bench',
    tensors: [{ name: TENSOR_NAMES.itemFactors, data: Float32Array.from({ length: N * D }, () => rng() * 2 - 1), shape: [N, D], dtype: 'f32' }],
    hyper: {},
    quantization: 'f32',
    counts: { users: 0, items: N },
    dataset: { name: 'bench', fingerprint: '', ratings: 0, split: '' },
    items: { items: Array.from({ length: N }, (_, i) => ({ id: String(i), title: String(i) })), users: [], seen: { indptr: [0], indices: [] } },
    createdAt: new Date(0).toISOString(),
  });
  await serveAndMeasure(built, measure);
}

function measure(model: LoadedModel): void {
  const rows = [];
  for (const [nLiked, nDisliked] of [[1, 0], [3, 2], [10, 10], [50, 50], [100, 100]]) {
    const fitMs: number[] = [];
    const totalMs: number[] = [];
    let iterations = 0;
    for (let r = 0; r < REPS + 5; r++) {
      const pick = (count: number, offset: number) => Array.from({ length: count }, (_, j) => (r * 997 + offset + j * 37) % N);
      const liked = pick(nLiked, 0);
      const disliked = pick(nDisliked, 5000);
      let t0 = performance.now();
      if (nDisliked > 0) {
        const all = [...liked, ...disliked];
        const cols = columns(model.itemsUnitT, all);
        const x = new Float32Array(all.length * D);
        for (let j = 0; j < D; j++) for (let i = 0; i < all.length; i++) x[i * D + j] = cols[j * all.length + i];
        t0 = performance.now();
        iterations = fitLogistic(x, Int8Array.from(all, (_, i) => (i < nLiked ? 1 : -1)), D).iterations;
      }
      const t1 = performance.now();
      recommendFromExamples(model, liked, disliked, 10);
      const t2 = performance.now();
      if (r >= 5) {
        fitMs.push(t1 - t0);
        totalMs.push(t2 - t1);
      }
    }
    rows.push({ liked: nLiked, disliked: nDisliked, 'fit iterations': nDisliked ? iterations : '-', 'fit ms (median)': median(fitMs).toFixed(3), 'query ms (median)': median(totalMs).toFixed(3) });
  }
  console.log(`recommendations from examples, ${N} x ${D}, k=10, ${REPS} queries each`);
  console.table(rows);
}

await main();
