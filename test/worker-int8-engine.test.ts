// The int8 scoring kernel inside workerd: the .wasm imported as a module by a minimal Worker (bundled by wrangler
// with the CompiledWasm rule, as the production Worker would be) loads, and its topK equals Node's, bit for bit.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { quantizeQ8 } from '../shared/artifact/q8.js';
import { cosineFactors, Int8Engine } from '../shared/engine/int8-engine.js';
import { int8ScanModule } from '../training/engine-node.js';
import { buildWorkerBundle, REPO_ROOT, startWorker, type StartedWorker } from './helpers/worker.js';

const DIST = path.join(REPO_ROOT, '.wrangler', `int8-engine-dist-${process.pid}`);
let worker: StartedWorker;

beforeAll(async () => {
  await buildWorkerBundle(DIST, path.join(REPO_ROOT, 'test/fixtures/int8-engine-worker/wrangler.toml'));
  worker = await startWorker({ distDir: DIST });
});

afterAll(async () => {
  await worker?.dispose();
  await rm(DIST, { recursive: true, force: true });
});

it('answers one topK in workerd exactly as in Node', async () => {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rows = 203;
  const cols = 50;
  const data = Float32Array.from({ length: rows * cols }, () => rand() * 2 - 1);
  const q8 = quantizeQ8(data, rows, cols);
  const factor = cosineFactors(q8.values, q8.scales, rows, cols);
  const add = Float32Array.from({ length: rows }, () => rand() * 0.1);
  const query = Float32Array.from({ length: cols }, () => rand() * 2 - 1);
  const exclude = [0, 7, 100];

  const node = new Int8Engine(int8ScanModule());
  node.load({ codes: q8.values, rows, cols, factor, add });
  const want = node.topK(query, 10, { exclude });

  const res = await worker.fetch('/', {
    method: 'POST',
    body: JSON.stringify({
      rows,
      cols,
      codes: Array.from(q8.values),
      factor: Array.from(factor),
      add: Array.from(add),
      query: Array.from(query),
      k: 10,
      exclude,
    }),
  });
  const got = (await res.json()) as { isModule: boolean; indices: number[]; scores: number[]; error?: string };
  expect(got.error).toBeUndefined();
  expect(res.status).toBe(200);
  expect(got.isModule).toBe(true);
  expect(got.indices).toEqual(Array.from(want.indices));
  expect(got.scores).toEqual(Array.from(want.scores));
});
