// Swap under load: requests flow at a few concurrent connections while CURRENT is moved back and forth between two
// versions (a publish, then rollbacks), with a burst of concurrent requests fired at every move. Every answer must
// be a 200 that names one of the two versions and whose results are exactly that version's (two artifacts with the
// same ids and different vectors, answers precomputed on the Node side); /healthz, polled throughout, must show one
// model's tensors resident, never two.
//
// The longer run is a bench: `npx tsx bench/swap-under-load.ts` (and npm run bench's swap part) first runs a steady phase of the same length at the same load, CURRENT left
// alone, so p99 during swaps can be read against steady p99 from the same run.
//
// test/robustness/swap-under-load.test.ts runs a bounded form of it. The driver lives with the test helpers because
// the bench imports test helpers, never the reverse.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadModel, type LoadedModel } from '../../shared/model/loaded.js';
import { readArtifact } from '../../training/export/artifact-files.js';
import { bucketOverR2 } from '../../training/publish/local-bucket.js';
import { publishArtifact } from '../../training/publish/publish.js';
import { useWasmBackend } from '../../training/tf-node.js';
import { writeHandmadeArtifact } from './handmade-artifact.js';
import { swapPair } from './robust-models.js';
import { buildWorkerBundle, REPO_ROOT, startWorker, TEST_DIST, type StartedWorker } from './worker.js';
import { queries, same, type Answer } from './swap-answers.js';
import { SwapTraffic, type Health, type Memory } from './swap-traffic.js';

export type { Memory } from './swap-traffic.js';

export interface SwapLoadOptions {
  /** How long requests flow (ms). */
  durationMs?: number;
  /** Concurrent request loops. */
  connections?: number;
  /** Time between CURRENT moves (ms). */
  swapEveryMs?: number;
  /** Requests fired at once right after each move, while the Worker notices it and swaps. */
  burst?: number;
  /**
   * A steady phase first, at the same load (same connections, bursts on the same schedule) with CURRENT left alone,
   * for the p99 the swap phase is compared with (ms; 0: none).
   */
  steadyMs?: number;
  /**
   * Steady and swapping phases alternate this many times (each of steadyMs / rounds and durationMs / rounds), pooled:
   * a machine whose other work comes and goes then weighs on both alike. Default 1.
   */
  rounds?: number;
  /**
   * How CURRENT moves. `registry` (default): the first move publishes B, later ones roll back and forth (publish and
   * rollback read back and verify what they point at). `pointer`: B is published before the measured phases and moves
   * write CURRENT alone, so a swapping phase differs from a steady one by the Worker's swaps and not by the
   * registry's own reads (the bench's ratio).
   */
  moves?: 'registry' | 'pointer';
  items?: number;
  users?: number;
  dim?: number;
  /** A Worker bundle from buildWorkerBundle(); default: the test bundle if present, else one built now. */
  distDir?: string;
  log?: (line: string) => void;
}

export interface SwapLoadResult {
  requests: number;
  /** Transport errors and non-200 answers. */
  failed: number;
  /** 200 answers naming no known version, or whose results are not the named version's. */
  wrong: number;
  byVersion: Record<string, number>;
  versions: [string, string];
  /**
   * CURRENT moves (publish + rollbacks), and how many answers came in the bursts fired at them. After each move the
   * load goes on until an answer names the new version, so every move counted here was also seen served.
   */
  swaps: number;
  burstRequests: number;
  /** Share of the queries whose answers differ between the two versions (a swap is visible in them). */
  distinguishable: number;
  memory: {
    before: Memory;
    after: Memory;
    oneModelBytes: number;
    samples: number;
    maxBytes: number;
    minBytes: number;
    /** The most tensor bytes the Worker's model store ever held at once (/healthz modelMemory): a swap's two versions. */
    peakResidentBytes: number;
  };
  /** Requests the Worker made wait for a load of the model (/healthz models[].waited): the first one only. */
  waitedForLoad: number;
  /** The swap phase. */
  latencyMs: { p50: number; p99: number; max: number };
  /** The steady phase (absent when steadyMs is 0), at the same load without moves. */
  steadyLatencyMs?: { p50: number; p99: number; max: number; requests: number };
  seconds: number;
  /** The first few failures, for the report. */
  failures: string[];
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The bundle to run: the one given, the one vitest built for this run, or a fresh build (never a stale one). */
async function resolveDist(distDir: string | undefined, log: (l: string) => void): Promise<string> {
  if (distDir) return distDir;
  if (process.env.EDGEREC_TEST_DIST && existsSync(path.join(TEST_DIST, 'worker-meta.json'))) return TEST_DIST;
  const dir = path.join(REPO_ROOT, '.wrangler/swap-bench-dist');
  log(`building the Worker bundle into ${dir}`);
  await buildWorkerBundle(dir);
  return dir;
}

export async function runSwapUnderLoad(opts: SwapLoadOptions = {}): Promise<SwapLoadResult> {
  const o = { durationMs: 2500, steadyMs: 0, rounds: 1, moves: 'registry' as const, connections: 4, swapEveryMs: 300, burst: 64, items: 300, users: 40, dim: 16, ...opts };
  const log = opts.log ?? (() => {});
  const [a, b] = swapPair({ items: o.items, users: o.users, dim: o.dim });
  const dirs = await Promise.all([writeHandmadeArtifact(a), writeHandmadeArtifact(b)]);
  let worker: StartedWorker | undefined;
  const nodeModels: LoadedModel[] = [];
  try {
    const distDir = await resolveDist(opts.distDir, log);
    // TTL 0: every request reads CURRENT, so each move is noticed by the very next requests (the worst case).
    worker = await startWorker({ distDir, bindings: { CURRENT_TTL_SECONDS: '0' } });
    const bucket = bucketOverR2(worker.bucket);
    const vA = (await publishArtifact(bucket, dirs[0], 'swap')).version;

    await useWasmBackend();
    const qs = queries(o.items, o.users);
    const models = await Promise.all(dirs.map(async (d) => loadModel('swap', 'node', await readArtifact(d))));
    nodeModels.push(...models);
    const expected = models.map((m) => qs.map((q) => q.expected(m))) as [Answer[], Answer[]];
    const distinguishable = qs.filter((_, j) => !same(expected[0][j], expected[1][j])).length / qs.length;
    const t = new SwapTraffic({ worker, bucket, dirs, vA, qs, expected, distDir, ...o });

    const warm = await worker.fetch(qs[0].path);
    await warm.arrayBuffer();
    const h0 = await t.health();
    const oneModelBytes = h0.models.find((m) => m.model === 'swap')!.residentBytes;
    if (o.moves === 'pointer') await t.publishAhead();
    const m = await measure(t, o);

    // Settled on A again (seen() above waited for an answer from it): the memory the Worker holds now.
    const lastVersion = await t.one(0);
    if (lastVersion !== vA) t.fail(`after the swaps the Worker answers from ${lastVersion}, expected ${vA}`);
    const h1 = await t.health();
    const result = swapResult(t, m, { before: h0.memory, h1, oneModelBytes, distinguishable, steady: o.steadyMs > 0 });
    log(summary(result, o.connections));
    return result;
  } finally {
    nodeModels.forEach((m) => m.dispose());
    await worker?.dispose();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

interface Measured {
  steadyLatencies: number[];
  swapLatencies: number[];
  samples: Memory[];
  steadyRequests: number;
  swapRequests: number;
  seconds: number;
}

/** Steady and swapping phases, `rounds` of each, pooled (after an unmeasured warm-up when there is a steady phase). */
async function measure(t: SwapTraffic, o: { steadyMs: number; rounds: number; durationMs: number; swapEveryMs: number }): Promise<Measured> {
  const m: Measured = { steadyLatencies: [], swapLatencies: [], samples: [], steadyRequests: 0, swapRequests: 0, seconds: 0 };
  // Unmeasured warm-up at the same load (JIT, connection pools), so the phase that runs first is not penalised.
  if (o.steadyMs > 0) await t.phase(2 * o.swapEveryMs);
  for (let k = 0; k < o.rounds; k++) {
    if (o.steadyMs > 0) {
      const r0 = t.requests;
      m.steadyLatencies.push(...(await t.phase(o.steadyMs / o.rounds)).latencies);
      m.steadyRequests += t.requests - r0;
    }
    const r0 = t.requests;
    const p = await t.phase(o.durationMs / o.rounds, true);
    m.swapLatencies.push(...p.latencies);
    m.samples.push(...p.samples);
    m.swapRequests += t.requests - r0;
    m.seconds += p.seconds;
  }
  return m;
}

function swapResult(
  t: SwapTraffic,
  m: Measured,
  x: { before: Memory; h1: Health; oneModelBytes: number; distinguishable: number; steady: boolean },
): SwapLoadResult {
  const pct = (l: number[]) => {
    const sorted = [...l].sort((p, q) => p - q);
    return { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted[sorted.length - 1] ?? Number.NaN) };
  };
  const bytes = m.samples.map((s) => s.numBytes);
  return {
    requests: m.swapRequests,
    failed: t.failed,
    wrong: t.wrong,
    byVersion: t.byVersion,
    versions: [t.vA, t.vB],
    swaps: t.swaps,
    burstRequests: t.burstRequests,
    distinguishable: x.distinguishable,
    memory: {
      before: x.before,
      after: x.h1.memory,
      oneModelBytes: x.oneModelBytes,
      samples: m.samples.length,
      maxBytes: Math.max(...bytes),
      minBytes: Math.min(...bytes),
      peakResidentBytes: x.h1.modelMemory?.peakResidentBytes ?? Number.NaN,
    },
    waitedForLoad: x.h1.models.find((h) => h.model === 'swap')?.waited ?? Number.NaN,
    latencyMs: pct(m.swapLatencies),
    ...(x.steady ? { steadyLatencyMs: { ...pct(m.steadyLatencies), requests: m.steadyRequests } } : {}),
    seconds: round(m.seconds),
    failures: t.failures,
  };
}

function summary(r: SwapLoadResult, connections: number): string {
  return (
    `swap under load: ${r.requests} requests in ${r.seconds} s at ${connections} connections, ${r.swaps} swaps (+${r.burstRequests} burst requests), ` +
    `${r.failed} failed, ${r.wrong} wrong, ${r.waitedForLoad} request(s) waited for a load; p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms` +
    (r.steadyLatencyMs ? ` (steady, same load: p50 ${r.steadyLatencyMs.p50} ms, p99 ${r.steadyLatencyMs.p99} ms)` : '') +
    `; resident ${r.memory.before.numBytes} B before, ${r.memory.after.numBytes} B after (one model: ${r.memory.oneModelBytes} B; ${r.memory.samples} samples, max ${r.memory.maxBytes} B; ` +
    `peak during a swap ${r.memory.peakResidentBytes} B)`
  );
}

const round = (x: number) => Math.round(x * 100) / 100;
