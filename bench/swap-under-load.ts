// Swap under load: requests flow at a few concurrent connections while CURRENT is moved back and forth between two
// versions (a publish, then rollbacks), with a burst of concurrent requests fired at every move. Every answer must
// be a 200 that names one of the two versions and whose results are exactly that version's (two artifacts with the
// same ids and different vectors, answers precomputed on the Node side); /healthz, polled throughout, must show one
// model's tensors resident, never two.
//
//   npx tsx bench/swap-under-load.ts [--seconds 20] [--connections 16] [--items 20000] [--json]
//
// The CLI (and npm run bench's swap part) first runs a steady phase of the same length at the same load, CURRENT left
// alone, so p99 during swaps can be read against steady p99 from the same run.
//
// test/robustness/swap-under-load.test.ts runs a 2.5 s form of it; bench/run.ts may call runSwapUnderLoad().
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel, type LoadedModel } from '../shared/model/loaded.js';
import { recommendFromExamples } from '../shared/model/from-examples.js';
import { predictRatings, recommendForUser, similarItems, type Scored } from '../shared/model/queries.js';
import { readArtifact } from '../training/export/artifact-files.js';
import { bucketOverR2 } from '../training/publish/local-bucket.js';
import { publishArtifact } from '../training/publish/publish.js';
import { rollback } from '../training/publish/registry-ops.js';
import { registryKeys } from '../shared/registry.js';
import { useWasmBackend } from '../training/tf-node.js';
import { writeHandmadeArtifact } from '../test/helpers/handmade-artifact.js';
import { swapPair } from '../test/helpers/robust-models.js';
import { buildWorkerBundle, REPO_ROOT, startWorker, TEST_DIST, type StartedWorker } from '../test/helpers/worker.js';

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

export interface Memory {
  numTensors: number;
  numBytes: number;
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

interface Query {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** The answer's comparable part, for the model it came from. */
  expected(m: LoadedModel): Answer;
  read(body: Record<string, unknown>): Answer;
}

/** Ranked ids with scores, or ratings. */
type Answer = { ids: string[]; scores: number[] };

const TOLERANCE = 1e-4;

function ranked(m: LoadedModel, s: Scored[]): Answer {
  return { ids: s.map((x) => m.items.ids[x.index]), scores: s.map((x) => x.score) };
}
const fromResults = (r: unknown): Answer => {
  const rows = r as { id: string; score: number }[];
  return { ids: rows.map((x) => x.id), scores: rows.map((x) => x.score) };
};

/** Equal ids in order (a neighbouring pair may swap only on a score tie) and scores within TOLERANCE. */
function same(got: Answer, want: Answer): boolean {
  if (got.ids.length !== want.ids.length || got.scores.length !== want.scores.length) return false;
  for (let j = 0; j < want.scores.length; j++) {
    if (!(Math.abs(got.scores[j] - want.scores[j]) <= TOLERANCE)) return false;
  }
  for (let j = 0; j < want.ids.length; j++) {
    if (got.ids[j] !== want.ids[j]) {
      const tie = [j - 1, j + 1].some((n) => n >= 0 && n < want.ids.length && want.ids[n] === got.ids[j] && Math.abs(want.scores[n] - want.scores[j]) <= TOLERANCE);
      if (!tie) return false;
    }
  }
  return true;
}

function queries(items: number, users: number): Query[] {
  const out: Query[] = [];
  const pick = (n: number, count: number, salt: number) => Array.from({ length: count }, (_, i) => (i * 7919 + salt) % n);
  for (const i of pick(items, 30, 1)) {
    out.push({
      method: 'GET',
      path: `/v1/models/swap/items/i${i}/similar?k=5`,
      expected: (m) => ranked(m, similarItems(m, i, 5)),
      read: (b) => fromResults(b.results),
    });
  }
  for (const u of pick(users, 20, 3)) {
    out.push({
      method: 'GET',
      path: `/v1/models/swap/users/u${u}/recommendations?k=5`,
      expected: (m) => ranked(m, recommendForUser(m, u, 5, true)),
      read: (b) => fromResults(b.results),
    });
    const i = (u * 13 + 5) % items;
    out.push({
      method: 'GET',
      path: `/v1/models/swap/users/u${u}/items/i${i}/rating`,
      expected: (m) => ({ ids: [], scores: [...predictRatings(m, Int32Array.of(u), Int32Array.of(i))] }),
      read: (b) => ({ ids: [], scores: [b.rating as number] }),
    });
  }
  const pairs = pick(users, 5, 11).map((u, j) => [u, (u * 31 + j) % items]);
  out.push({
    method: 'POST',
    path: '/v1/models/swap/predict',
    body: JSON.stringify({ pairs: pairs.map(([u, i]) => [`u${u}`, `i${i}`]) }),
    expected: (m) => ({ ids: [], scores: [...predictRatings(m, Int32Array.from(pairs, (p) => p[0]), Int32Array.from(pairs, (p) => p[1]))] }),
    read: (b) => ({ ids: [], scores: (b.predictions as { rating: number }[]).map((p) => p.rating) }),
  });
  const liked = [1, 2].map((x) => (x * 17) % items);
  const disliked = [(5 * 17) % items];
  out.push({
    method: 'POST',
    path: '/v1/models/swap/recommendations/from-examples',
    body: JSON.stringify({ liked: liked.map((i) => `i${i}`), disliked: disliked.map((i) => `i${i}`), k: 5 }),
    expected: (m) => {
      const a = recommendFromExamples(m, liked, disliked, 5);
      const best = ranked(m, a.best);
      const worst = ranked(m, a.worst);
      return { ids: [...best.ids, ...worst.ids], scores: [...best.scores, ...worst.scores] };
    },
    read: (b) => {
      const best = fromResults(b.best);
      const worst = fromResults(b.worst);
      return { ids: [...best.ids, ...worst.ids], scores: [...best.scores, ...worst.scores] };
    },
  });
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const w = worker;
    const bucket = bucketOverR2(w.bucket);
    const vA = (await publishArtifact(bucket, dirs[0], 'swap')).version;

    await useWasmBackend();
    const qs = queries(o.items, o.users);
    const models = await Promise.all(dirs.map(async (d) => loadModel('swap', 'node', await readArtifact(d))));
    nodeModels.push(...models);
    const expectedA = qs.map((q) => q.expected(models[0]));
    const expectedB = qs.map((q) => q.expected(models[1]));
    const distinguishable = qs.filter((_, j) => !same(expectedA[j], expectedB[j])).length / qs.length;

    const health = async () => {
      const h = (await (await w.fetch('/healthz')).json()) as {
        memory?: Memory;
        modelMemory?: { peakResidentBytes: number };
        models: { model: string; version: string; residentBytes: number; waited?: number }[];
      };
      if (!h.memory) throw new Error(`/healthz has no memory figures: is ${distDir} a bundle of this tree? (${JSON.stringify(h).slice(0, 200)})`);
      return h as typeof h & { memory: Memory };
    };
    const warm = await w.fetch(qs[0].path);
    await warm.arrayBuffer();
    const h0 = await health();
    const before = h0.memory;
    const oneModelBytes = h0.models.find((m) => m.model === 'swap')!.residentBytes;

    let vB = '';
    let swaps = 0;
    let live = vA;
    const expectedFor = (version: string) => (version === vA ? expectedA : version === vB ? expectedB : undefined);
    let latencies: number[] = [];
    const byVersion: Record<string, number> = {};
    const failures: string[] = [];
    let requests = 0;
    let failed = 0;
    let wrong = 0;
    let burstRequests = 0;
    const fail = (what: string) => {
      if (failures.length < 10) failures.push(what);
    };

    /**
     * One checked request; resolves to the version that answered (undefined on a failure). `timed`: its latency
     * counts in the phase's percentiles (the polls that wait for a swap to show do not, so both phases' percentiles
     * are over the same mix: the connections' requests and the bursts).
     */
    async function one(j: number, timed = true): Promise<string | undefined> {
      const q = qs[j % qs.length];
      const t0 = performance.now();
      requests++;
      try {
        const res = await w.fetch(q.path, q.body ? { method: 'POST', body: q.body, headers: { 'content-type': 'application/json' } } : undefined);
        const text = await res.text();
        if (timed) latencies.push(performance.now() - t0);
        if (res.status !== 200) {
          failed++;
          fail(`${q.method} ${q.path} -> ${res.status} ${text.slice(0, 200)}`);
          return undefined;
        }
        const body = JSON.parse(text) as Record<string, unknown>;
        const version = body.version as string;
        const expected = expectedFor(version);
        byVersion[version] = (byVersion[version] ?? 0) + 1;
        if (!expected || !same(q.read(body), expected[j % qs.length])) {
          wrong++;
          fail(`${q.method} ${q.path} -> version ${JSON.stringify(version)}: ${text.slice(0, 300)}`);
        }
        return version;
      } catch (e) {
        failed++;
        fail(`${q.method} ${q.path} -> ${(e as Error).message}`);
        return undefined;
      }
    }

    /**
     * Requests from the connections plus a burst every swapEveryMs; `move` (if given) moves CURRENT before each burst.
     * The number of bursts is fixed by ms / swapEveryMs (not by how many fit before a deadline), so a steady and a
     * swapping phase carry the same load on any machine. After each move a request loop runs beside the load until
     * an answer names the new version (the Worker loads it in the background), so every counted move is a swap seen.
     */
    async function phase(ms: number, move?: () => Promise<void>): Promise<{ latencies: number[]; samples: Memory[]; seconds: number }> {
      latencies = [];
      const t0 = performance.now();
      let stop = false;
      const loops = Array.from({ length: o.connections }, async (_, c) => {
        for (let j = c * 7; !stop; j++) await one(j);
      });
      const samples: Memory[] = [];
      const poller = (async () => {
        while (!stop) {
          samples.push((await health()).memory);
          await sleep(20);
        }
      })();
      const observed: Promise<void>[] = [];
      const bursts = Math.max(1, Math.floor(ms / o.swapEveryMs) - 1);
      for (let b = 1; b <= bursts; b++) {
        await sleep(o.swapEveryMs);
        await move?.();
        observed.push(seen(live));
        const burst = Array.from({ length: o.burst }, (_, k) => one(b * 1000 + k));
        burstRequests += move ? o.burst : 0;
        await Promise.all(burst);
      }
      await Promise.all(observed);
      if (move && live !== vA) {
        await move();
        await seen(vA);
      }
      stop = true;
      await Promise.all([...loops, poller]);
      return { latencies, samples, seconds: (performance.now() - t0) / 1000 };
    }

    /**
     * Requests go on until one is answered by `version` (bounded by a count, not a time): the Worker loads a new
     * version in the background, so a move is only a swap once an answer shows it.
     */
    async function seen(version: string): Promise<void> {
      for (let j = 0; j < 20_000; j++) if ((await one(j, false)) === version) return;
      fail(`version ${version} never answered after CURRENT moved to it`);
    }

    const move = async () => {
      const to = live === vA ? 'B' : 'A';
      if (to === 'B' && !vB) vB = (await publishArtifact(bucket, dirs[1], 'swap')).version;
      else if (o.moves === 'pointer') await w.bucket.put(registryKeys.current('swap'), to === 'A' ? vA : vB);
      else await rollback(bucket, 'swap', to === 'A' ? vA : vB);
      live = to === 'A' ? vA : vB;
      swaps++;
    };
    if (o.moves === 'pointer') {
      // B is uploaded (and verified) now, outside the measured phases; the Worker goes on answering from A.
      vB = (await publishArtifact(bucket, dirs[1], 'swap')).version;
      await rollback(bucket, 'swap', vA);
      await seen(vA);
    }
    const steadyLatencies: number[] = [];
    const swapLatencies: number[] = [];
    const samples: Memory[] = [];
    let steadyRequests = 0;
    let swapRequests = 0;
    let seconds = 0;
    // Unmeasured warm-up at the same load (JIT, connection pools), so the phase that runs first is not penalised.
    if (o.steadyMs > 0) await phase(2 * o.swapEveryMs);
    for (let k = 0; k < o.rounds; k++) {
      if (o.steadyMs > 0) {
        const r0 = requests;
        steadyLatencies.push(...(await phase(o.steadyMs / o.rounds)).latencies);
        steadyRequests += requests - r0;
      }
      const r0 = requests;
      const p = await phase(o.durationMs / o.rounds, move);
      swapLatencies.push(...p.latencies);
      samples.push(...p.samples);
      swapRequests += requests - r0;
      seconds += p.seconds;
    }

    // Settled on A again (seen() above waited for an answer from it): the memory the Worker holds now.
    const lastVersion = await one(0);
    if (lastVersion !== vA) fail(`after the swaps the Worker answers from ${lastVersion}, expected ${vA}`);
    const h1 = await health();
    const after = h1.memory;
    const pct = (l: number[]) => {
      const sorted = [...l].sort((x, y) => x - y);
      return { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted[sorted.length - 1] ?? Number.NaN) };
    };
    const bytes = samples.map((s) => s.numBytes);
    const result: SwapLoadResult = {
      requests: swapRequests,
      failed,
      wrong,
      byVersion,
      versions: [vA, vB],
      swaps,
      burstRequests,
      distinguishable,
      memory: {
        before,
        after,
        oneModelBytes,
        samples: samples.length,
        maxBytes: Math.max(...bytes),
        minBytes: Math.min(...bytes),
        peakResidentBytes: h1.modelMemory?.peakResidentBytes ?? Number.NaN,
      },
      waitedForLoad: h1.models.find((m) => m.model === 'swap')?.waited ?? Number.NaN,
      latencyMs: pct(swapLatencies),
      ...(o.steadyMs > 0 ? { steadyLatencyMs: { ...pct(steadyLatencies), requests: steadyRequests } } : {}),
      seconds: round(seconds),
      failures,
    };
    log(
      `swap under load: ${result.requests} requests in ${result.seconds} s at ${o.connections} connections, ${swaps} swaps (+${burstRequests} burst requests), ` +
        `${failed} failed, ${wrong} wrong, ${result.waitedForLoad} request(s) waited for a load; p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms` +
        (result.steadyLatencyMs ? ` (steady, same load: p50 ${result.steadyLatencyMs.p50} ms, p99 ${result.steadyLatencyMs.p99} ms)` : '') +
        `; resident ${before.numBytes} B before, ${after.numBytes} B after (one model: ${oneModelBytes} B; ${samples.length} samples, max ${result.memory.maxBytes} B; ` +
        `peak during a swap ${result.memory.peakResidentBytes} B)`,
    );
    return result;
  } finally {
    nodeModels.forEach((m) => m.dispose());
    await worker?.dispose();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      connections: { type: 'string', default: '16' },
      items: { type: 'string', default: '20000' },
      json: { type: 'boolean', default: false },
    },
  });
  const result = await runSwapUnderLoad({
    durationMs: Number(values.seconds) * 1000,
    steadyMs: Number(values.seconds) * 1000,
    rounds: 2,
    moves: 'pointer',
    connections: Number(values.connections),
    items: Number(values.items),
    users: 2000,
    dim: 64,
    swapEveryMs: 1000,
    burst: 256,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.failed || result.wrong ? 1 : 0;
}
