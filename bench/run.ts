// npm run bench [-- --quick] [--parts queries,http,...] [--sizes 10000,60000]
//
// Runs the benchmark parts in one process, side by side on this machine, prints a table per part, writes
// bench/results/<part>.json and bench/results/summary.json, and (for a run of every part) BENCHMARKS.md.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/helpers/worker.js';
import { catalogCache, type BenchContext, type Part, type PartResult } from './lib/context.js';
import { machineInfo } from './lib/machine.js';
import { writeBenchmarksMd } from './lib/report.js';
import { renderTable } from './lib/table.js';
import { buildBundles } from './lib/workers.js';
import { coldStartPart } from './parts/cold-start.js';
import { epochsPart } from './parts/epochs.js';
import { httpPart } from './parts/http.js';
import { ivfPart } from './parts/ivf.js';
import { memoryPart } from './parts/memory.js';
import { quantizationPart } from './parts/quantization.js';
import { queriesPart } from './parts/queries.js';
import { rankerEpochsPart } from './parts/ranker-epochs.js';
import { scalingPart } from './parts/scaling.js';
import { swapPart } from './parts/swap.js';
import { trainingPart } from './parts/training.js';

const PARTS: Part[] = [queriesPart, httpPart, coldStartPart, memoryPart, swapPart, quantizationPart, ivfPart, trainingPart, epochsPart, rankerEpochsPart, scalingPart];
const RESULTS = path.join(REPO_ROOT, 'bench/results');

const USAGE = `Usage: npm run bench [-- --quick] [--parts ${PARTS.map((p) => p.name).join(',')}] [--sizes 10000,60000,250000] [--md | --no-md]

  --quick    a reduced run (smaller catalogues and datasets, fewer repetitions): under 3 minutes; writes bench/results/ only
  --parts    run only these parts
  --sizes    catalogue sizes for the serving parts (10000 is always among them: the ratio targets are stated there)
  --md       rewrite BENCHMARKS.md after a partial run too (parts not run keep the tables of their last full run)
  --no-md    do not rewrite BENCHMARKS.md after a full run
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      parts: { type: 'string' },
      sizes: { type: 'string' },
      'no-md': { type: 'boolean', default: false },
      md: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const quick = Boolean(values.quick);
  const wanted = values.parts ? values.parts.split(',').map((s) => s.trim()) : PARTS.map((p) => p.name);
  for (const w of wanted) {
    if (!PARTS.some((p) => p.name === w)) throw new Error(`--parts: unknown part ${JSON.stringify(w)}; parts are ${PARTS.map((p) => p.name).join(', ')}`);
  }
  const sizes = parseSizes(values.sizes, quick);
  const t0 = performance.now();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edgerec-bench-'));
  const log = (line: string) => process.stderr.write(line + '\n');
  const ctx: BenchContext = {
    quick,
    sizes,
    timing: quick ? { batches: 12, minBatchMs: 15, maxBatch: 4000, warmup: 3, budgetMs: 600 } : { batches: 30, minBatchMs: 20, maxBatch: 4000, warmup: 5, budgetMs: 2500 },
    tmp,
    log,
    ...catalogCache(),
    done: {},
  };
  const command = `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  const machine = machineInfo();
  log(`edgerec bench: ${command}  (${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage.join(' ')})`);
  try {
    const tb = performance.now();
    const b = await buildBundles();
    log(`bundles built in ${((performance.now() - tb) / 1000).toFixed(1)} s`);
    await mkdir(RESULTS, { recursive: true });
    for (const part of PARTS.filter((p) => wanted.includes(p.name))) await runPart(part, ctx, command, machine);
    const seconds = (performance.now() - t0) / 1000;
    await writeSummary(ctx, command, machine, seconds, b.prodBytes);
    // A full run rewrites BENCHMARKS.md; --md also does after a partial one (parts not run keep their last full
    // run's tables, from bench/results/<part>.json, each labelled with its own command and date).
    if (values.md || (!values['no-md'] && !quick && PARTS.every((p) => wanted.includes(p.name)))) {
      await writeBenchmarksMd(ctx, PARTS.map((p) => p.name), { command, machine, seconds });
      log('BENCHMARKS.md rewritten');
    }
    log(`\nbench done in ${seconds.toFixed(0)} s; results in bench/results/`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** --sizes as item counts (default by --quick), 10000 always among them. */
function parseSizes(arg: string | undefined, quick: boolean): number[] {
  const sizes = arg
    ? arg.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 100) throw new Error(`--sizes: ${JSON.stringify(s)} is not an item count >= 100`);
        return n;
      })
    : quick
      ? [10_000, 60_000]
      : [10_000, 60_000, 250_000];
  // The engine's targets (summary.ratios, BENCHMARKS.md) are stated at 10k: never measured without it.
  if (!sizes.includes(10_000)) sizes.unshift(10_000);
  return sizes;
}

/** Runs one part (a failure becomes its result), prints its tables and writes bench/results/<part>.json. */
async function runPart(part: Part, ctx: BenchContext, command: string, machine: ReturnType<typeof machineInfo>): Promise<void> {
  const tp = performance.now();
  const log = ctx.log;
  log(`\n== ${part.name}: ${part.title}`);
  let result: PartResult;
  try {
    result = await part.run(ctx);
  } catch (e) {
    log(`part ${part.name} failed: ${(e as Error).stack ?? e}`);
    result = { name: part.name, tables: [], data: { error: String((e as Error).message ?? e) }, notes: [`failed: ${(e as Error).message}`] };
  }
  const seconds = (performance.now() - tp) / 1000;
  result.data.seconds = Math.round(seconds * 10) / 10;
  ctx.done[part.name] = result;
  for (const t of result.tables) process.stdout.write('\n' + renderTable(t));
  log(`(${part.name}: ${seconds.toFixed(1)} s)`);
  await writeFile(
    path.join(RESULTS, `${part.name}.json`),
    JSON.stringify({ part: part.name, title: part.title, command, date: new Date().toISOString(), quick: ctx.quick, machine, ...result.data, tables: result.tables, summary: result.summary ?? {} }, null, 1) + '\n',
  );
}

/** summary.json: headline figures under stable keys. A partial run keeps the figures of parts it did not run. */
async function writeSummary(ctx: BenchContext, command: string, machine: ReturnType<typeof machineInfo>, seconds: number, bundleBytes: number) {
  const file = path.join(RESULTS, 'summary.json');
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(await (await import('node:fs/promises')).readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // First run.
  }
  const merged: Record<string, unknown> = { ...previous };
  for (const r of Object.values(ctx.done)) {
    const { ratios, ...rest } = (r.summary ?? {}) as { ratios?: Record<string, unknown> };
    Object.assign(merged, rest);
    // `ratios` is shared by parts (queries, cold-start): merged key by key, so one part does not drop another's.
    if (ratios) merged.ratios = { ...(merged.ratios as Record<string, unknown> | undefined), ...ratios };
  }
  Object.assign(merged, { command, date: new Date().toISOString(), quick: ctx.quick, machine, seconds: Math.round(seconds), worker_bundle_bytes: bundleBytes });
  await writeFile(file, JSON.stringify(merged, null, 1) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
