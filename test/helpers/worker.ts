// Runs the real Worker bundle (what `wrangler deploy` would upload) in workerd through Miniflare, with a local R2.
//
// buildWorkerBundle() runs once per test run (test/global-setup.ts) and writes worker-meta.json beside the bundle, so
// test files start Workers without loading wrangler (~0.7 s to import) and outside vitest (bench) too.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Miniflare, convertV4MiniflareOptions, type RequestInit, type Response } from 'miniflare';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// One folder per test run (global-setup sets the variable), so concurrent runs do not rebuild each other's bundle.
export const TEST_DIST = process.env.EDGEREC_TEST_DIST ?? path.join(REPO_ROOT, '.wrangler/test-dist');
/** The persistence root `wrangler dev` uses (wrangler.toml's directory + .wrangler/state/v3); R2 lives in <root>/r2. */
export const WRANGLER_DEV_PERSIST_DIR = path.join(REPO_ROOT, '.wrangler/state/v3');
const META_FILE = 'worker-meta.json';

export interface QueueConsumerMeta {
  maxBatchSize?: number;
  maxBatchTimeout?: number;
  maxRetries?: number;
  deadLetterQueue?: string;
}

export interface BundleModule {
  type: 'ESModule' | 'CompiledWasm';
  /** Absolute path; the module's name is its path relative to the bundle directory. */
  path: string;
}

export interface WorkerMeta {
  /** The entry module first, as Miniflare requires. */
  modules: BundleModule[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** wrangler.toml [vars]. */
  vars: Record<string, unknown>;
  /** binding -> bucket_name, from wrangler.toml [[r2_buckets]]. */
  r2Buckets: Record<string, string>;
  /** binding -> queue name, from [[queues.producers]]. */
  queueProducers: Record<string, string>;
  /** queue name -> settings, from [[queues.consumers]] (Miniflare's names). */
  queueConsumers: Record<string, QueueConsumerMeta>;
  /** binding -> settings, from [[ratelimits]]. */
  ratelimits: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }>;
  bundleBytes: number;
  buildMs: number;
}

/** Bundles the Worker exactly as `wrangler deploy` would (dry run) into outDir and records wrangler.toml's settings. */
export async function buildWorkerBundle(
  outDir = TEST_DIST,
  configPath = path.join(REPO_ROOT, 'wrangler.toml'),
): Promise<WorkerMeta> {
  const t0 = performance.now();
  // Wasm files are named by content hash: stale ones would otherwise accumulate.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  // wrangler's "exports" hide bin/; its package.json is exported.
  const wranglerPkg = createRequire(import.meta.url).resolve('wrangler/package.json');
  const wranglerBin = path.join(path.dirname(wranglerPkg), 'bin/wrangler.js');
  try {
    // process.execPath: the Node running vitest (22), not whatever `node` a shell would find (wrangler 4 needs >= 22).
    await promisify(execFile)(
      process.execPath,
      [wranglerBin, 'deploy', '--dry-run', '--outdir', outDir, '--config', configPath],
      { cwd: REPO_ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, maxBuffer: 16 << 20 },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`wrangler deploy --dry-run failed:\n${e.stderr || e.stdout || e.message}`);
  }
  const entry = path.join(outDir, 'index.js');
  if (!existsSync(entry)) throw new Error(`wrangler produced no ${entry}`);
  // Miniflare 5 no longer follows imports with modulesRules (convertV4MiniflareOptions rejects them): list every
  // module wrangler wrote. It names the extra ones by content hash (e.g. <sha1>-tfjs-backend-wasm-simd.wasm).
  const modules: BundleModule[] = [{ type: 'ESModule', path: entry }];
  let bundleBytes = (await readFile(entry)).length;
  for (const f of (await readdir(outDir)).sort()) {
    if (f === 'index.js' || f.endsWith('.map') || f === 'README.md') continue;
    if (!f.endsWith('.wasm')) throw new Error(`unexpected module ${f} in ${outDir}: teach buildWorkerBundle its type`);
    modules.push({ type: 'CompiledWasm', path: path.join(outDir, f) });
    bundleBytes += (await readFile(path.join(outDir, f))).length;
  }

  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  if (!config.compatibility_date) throw new Error('wrangler.toml has no compatibility_date');
  const meta: WorkerMeta = {
    modules,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    vars: { ...config.vars },
    r2Buckets: Object.fromEntries(config.r2_buckets.map((b: { binding: string; bucket_name?: string }) => [b.binding, b.bucket_name ?? b.binding])),
    queueProducers: Object.fromEntries((config.queues.producers ?? []).map((q: { binding: string; queue: string }) => [q.binding, q.queue])),
    queueConsumers: Object.fromEntries(
      (config.queues.consumers ?? []).map((q: { queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number; dead_letter_queue?: string }) => [
        q.queue,
        { maxBatchSize: q.max_batch_size, maxBatchTimeout: q.max_batch_timeout, maxRetries: q.max_retries, deadLetterQueue: q.dead_letter_queue },
      ]),
    ),
    ratelimits: Object.fromEntries(
      (config.ratelimits ?? []).map((r: { name: string; namespace_id: string; simple: { limit: number; period: number } }) => [r.name, { namespace_id: r.namespace_id, simple: { limit: r.simple.limit, period: r.simple.period as 10 | 60 } }]),
    ),
    bundleBytes,
    buildMs: performance.now() - t0,
  };
  await writeFile(path.join(outDir, META_FILE), JSON.stringify(meta, null, 2));
  return meta;
}

export async function readWorkerMeta(outDir = TEST_DIST): Promise<WorkerMeta> {
  const file = path.join(outDir, META_FILE);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run tests through vitest (test/global-setup.ts) or call buildWorkerBundle()`);
  }
  return JSON.parse(await readFile(file, 'utf8')) as WorkerMeta;
}

export interface StartWorkerOptions {
  /**
   * Persistence root for local resources (Miniflare 5 `resourcePersistencePath`; R2 data goes to <root>/r2).
   * WRANGLER_DEV_PERSIST_DIR shares state with `wrangler dev`. false/undefined: a temporary store removed on dispose().
   */
  r2Persist?: string | false;
  /** Extra or overriding plain-text bindings (on top of wrangler.toml [vars]). */
  bindings?: Record<string, string>;
  /** Directory of a bundle built by buildWorkerBundle(); defaults to .wrangler/test-dist. */
  distDir?: string;
  /** workerd's V8 inspector on this port (the bench reads the isolate's heap through it: bench/lib/inspector.ts). */
  inspectorPort?: number;
  /** Overrides of the events queue consumer's settings (e.g. a short maxBatchTimeout so a test need not wait 5 s). */
  queueConsumer?: QueueConsumerMeta;
  /** Overrides of the [[ratelimits]] limits by binding (a load test raises EVENTS_RATE_LIMIT's). */
  rateLimits?: Record<string, number>;
}

export type LocalR2Bucket = Awaited<ReturnType<Miniflare['getR2Bucket']>>;

export interface StartedWorker {
  mf: Miniflare;
  /** Dispatches a request to the Worker; `path` is resolved against http://localhost. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The Worker's MODELS bucket, for seeding objects with put(). */
  bucket: LocalR2Bucket;
  /** The Worker's EVENTS bucket, where its queue consumer writes (absent for Workers without one: fixtures, the bench). */
  events?: LocalR2Bucket;
  /** Wall time from new Miniflare() until workerd accepted the Worker. */
  startMs: number;
  dispose(): Promise<void>;
}

export async function startWorker(opts: StartWorkerOptions = {}): Promise<StartedWorker> {
  const distDir = opts.distDir ?? TEST_DIST;
  const meta = await readWorkerMeta(distDir);
  const t0 = performance.now();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      rootPath: REPO_ROOT,
      // A free port, so parallel test files and a running `wrangler dev` do not collide.
      port: 0,
      ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
      modules: meta.modules,
      modulesRoot: distDir,
      compatibilityDate: meta.compatibilityDate,
      compatibilityFlags: meta.compatibilityFlags,
      bindings: { ...(meta.vars as Record<string, string>), ...opts.bindings },
      r2Buckets: meta.r2Buckets,
      queueProducers: meta.queueProducers,
      queueConsumers: Object.fromEntries(Object.entries(meta.queueConsumers).map(([q, c]) => [q, { ...c, ...opts.queueConsumer }])),
      ratelimits: Object.fromEntries(
        Object.entries(meta.ratelimits).map(([b, r]) => [b, { ...r, simple: { ...r.simple, limit: opts.rateLimits?.[b] ?? r.simple.limit } }]),
      ),
      // Miniflare would resolve a relative path against the cwd; the repo root is what callers mean.
      resourcePersistencePath: opts.r2Persist ? path.resolve(REPO_ROOT, opts.r2Persist) : undefined,
      // Tests must not depend on the internet: a fetch() to the outside gets a 500 whose body is this error.
      outboundService: (req) => {
        throw new Error(`outbound network is disabled in tests (fetch ${req.url})`);
      },
    }),
  );
  try {
    await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
  const startMs = performance.now() - t0;
  const bucket = await mf.getR2Bucket('MODELS');
  const events = 'EVENTS' in meta.r2Buckets ? await mf.getR2Bucket('EVENTS') : undefined;
  return {
    mf,
    fetch: (p, init) => mf.dispatchFetch(new URL(p, 'http://localhost').href, init),
    bucket,
    events,
    startMs,
    dispose: () => mf.dispose(),
  };
}
