// Part 5: what int8 and fp16 storage cost in answer quality: recall@10 of similar items (and recommendations)
// against the f32 artifact of the same weights, on the synthetic catalogues and on ml-100k mf from `npm run train`,
// and the RMSE deltas the train reports measure on the quantised weights.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeArtifact } from '../../shared/artifact/decode.js';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { recommendForUser, similarItems } from '../../shared/model/queries.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import type { Quantization } from '../../shared/artifact/schema.js';
import type { TrainReport } from '../../training/pipeline/kinds.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { REPO_ROOT } from '../../test/helpers/worker.js';
import type { BenchContext, Part, PartResult } from '../lib/context.js';
import { pickIndex } from '../lib/query-impls.js';
import { sig } from '../lib/stats.js';
import type { Table } from '../lib/table.js';

export const ML100K = path.resolve(REPO_ROOT, '../shared/data/ml-100k');
const K = 10;
const FORMATS: Quantization[] = ['q8', 'f16'];

/** Mean over queries of |top-k(a) ∩ top-k(b)| / k. */
function recallAtK(a: LoadedModel, b: LoadedModel, queries: number[], f: (m: LoadedModel, q: number) => number[]): number {
  let sum = 0;
  for (const q of queries) {
    const truth = new Set(f(a, q));
    sum += f(b, q).filter((j) => truth.has(j)).length / truth.size;
  }
  return sum / queries.length;
}

/** Summary keys: catalogue size for synthetic rows ("10000"), the dataset name otherwise ("ml-100k"). */
const key = (dataset: string) => (dataset.startsWith('synthetic ') ? dataset.slice('synthetic '.length) : dataset.split(' ')[0]);

const similar = (m: LoadedModel, i: number) => similarItems(m, i, K).map((s) => s.index);
const recommend = (m: LoadedModel, u: number) => recommendForUser(m, u, K, true).map((s) => s.index);

async function train(ctx: BenchContext, q: Quantization): Promise<TrainReport> {
  const out = path.join(ctx.tmp, `ml100k-mf-${q}`);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'training/cli/train.ts'), '--data', ML100K, '--model', 'mf', '--out', out, '--quantization', q, '--seed', '42', '--json', ...(ctx.quick ? ['--epochs', '20'] : [])],
    { cwd: REPO_ROOT, maxBuffer: 64 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as TrainReport;
}

type Row = { dataset: string; format: Quantization; similarRecall: number; recommendRecall: number; rmse?: number; rmseDelta?: number; bytesRatio?: number };

export const quantizationPart: Part = {
  name: 'quantization',
  title: 'Quantisation: recall@10 against f32, and the metric deltas',
  async run(ctx: BenchContext): Promise<PartResult> {
    await useWasmBackend();
    const nQueries = ctx.quick ? 100 : 300;
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const n of ctx.sizes) rows.push(...(await syntheticRows(ctx, n, nQueries)));
    const ml = await ml100kRows(ctx, rows, notes);
    notes.unshift(
      `recall@10 = mean |top-10 from the quantised artifact ∩ top-10 from the f32 artifact| / 10 over ${nQueries} query items (users) per synthetic catalogue; recommendations exclude seen items.`,
      'RMSE delta = RMSE of the quantised weights served through shared/ on tfjs wasm - RMSE of the float model (from the train report). AUC deltas of ranking kinds are in the training part (their reports carry float and quantised metrics).',
    );
    const table: Table = {
      title: 'Quantised vs f32: recall@10 and RMSE',
      headers: ['dataset', 'format', 'bytes vs f32', 'similar recall@10', 'recommend recall@10', 'RMSE', 'RMSE delta'],
      rows: rows.map((r) => [r.dataset, r.format, r.bytesRatio, r.similarRecall, r.recommendRecall, r.rmse, r.rmseDelta]),
      notes,
    };
    const q8 = rows.filter((r) => r.format === 'q8');
    return {
      name: 'quantization',
      tables: [table],
      data: { k: K, nQueries, rows, ml100k: ml ? Object.fromEntries(Object.entries(ml).map(([q, r]) => [q, { metrics: r.metrics, quantized: r.quantized, bytes: r.bytes }])) : null },
      summary: {
        int8_recall_at_10: Object.fromEntries(q8.map((r) => [key(r.dataset), r.similarRecall])),
        fp16_recall_at_10: Object.fromEntries(rows.filter((r) => r.format === 'f16').map((r) => [key(r.dataset), r.similarRecall])),
        int8_rmse_delta: Object.fromEntries(q8.filter((r) => r.rmseDelta !== undefined).map((r) => [key(r.dataset), r.rmseDelta])),
      },
    };
  },
};

/** Each quantised format of a synthetic catalogue of n items against its f32 artifact. */
async function syntheticRows(ctx: BenchContext, n: number, nQueries: number): Promise<Row[]> {
  const rows: Row[] = [];
  const load = async (n: number, q: Quantization) => {
    const e = await ctx.encoded(n, q);
    return loadModel(`${n}`, q, await decodeArtifact(e.manifestText, e.tensors, e.itemsText));
  };
  const ref = await load(n, 'f32');
  const items = Array.from({ length: nQueries }, (_, k) => pickIndex(k, n));
  const users = Array.from({ length: nQueries }, (_, k) => pickIndex(k, ref.users.size));
  try {
    for (const q of FORMATS) {
      const m = await load(n, q);
      try {
        rows.push({
          dataset: `synthetic ${n}`,
          format: q,
          similarRecall: sig(recallAtK(ref, m, items, similar), 4),
          recommendRecall: sig(recallAtK(ref, m, users, recommend), 4),
          bytesRatio: sig((await ctx.encoded(n, q)).tensors.byteLength / (await ctx.encoded(n, 'f32')).tensors.byteLength),
        });
      } finally {
        m.dispose();
      }
    }
  } finally {
    ref.dispose();
  }
  ctx.log(`  synthetic ${n}: similar recall@10 q8 ${rows.at(-2)!.similarRecall}, f16 ${rows.at(-1)!.similarRecall}`);
  return rows;
}

/** ml-100k mf trained once per format (the same float model: same seed), each quantised one against f32. */
async function ml100kRows(ctx: BenchContext, rows: Row[], notes: string[]): Promise<Record<string, TrainReport> | undefined> {
  if (!existsSync(ML100K)) {
    notes.push(`ml-100k rows skipped: ${ML100K} is absent.`);
    return undefined;
  }
  // The float model is the same in all three runs (same seed): only the stored format differs.
  const ml: Record<string, TrainReport> = {};
  for (const q of ['f32', ...FORMATS] as Quantization[]) ml[q] = await train(ctx, q);
  const ref = loadModel('ml', 'f32', await readArtifact(ml.f32.out));
  const all = Array.from({ length: ref.items.size }, (_, i) => i);
  const users = Array.from({ length: ref.users.size }, (_, u) => u);
  try {
    for (const q of FORMATS) {
      const m = loadModel('ml', q, await readArtifact(ml[q].out));
      try {
        rows.push({
          dataset: 'ml-100k mf',
          format: q,
          similarRecall: sig(recallAtK(ref, m, all, similar), 4),
          recommendRecall: sig(recallAtK(ref, m, users, recommend), 4),
          rmse: sig(Number(ml[q].quantized.rmse), 5),
          rmseDelta: sig(Number(ml[q].quantized.rmse) - ml[q].metrics.rmse, 2),
          bytesRatio: sig(ml[q].bytes.artifact / ml[q].bytes.float32),
        });
      } finally {
        m.dispose();
      }
    }
  } finally {
    ref.dispose();
  }
  notes.push(
    `ml-100k: \`npm run train -- --data ../shared/data/ml-100k --model mf --quantization <q> --seed 42 --json${ctx.quick ? ' --epochs 20' : ''}\` (random 80/20); float RMSE ${sig(ml.f32.metrics.rmse, 5)}; every item (${ref.items.size}) and user (${ref.users.size}) is a query.`,
  );
  return ml;
}
