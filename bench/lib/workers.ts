// Workers for the bench: bundles built the way `wrangler deploy` builds them, run in workerd through Miniflare
// (test/helpers/worker.ts), with a local R2 store the bench seeds with its own artifacts.
import { freePort, openInspector, type Inspector } from './inspector.js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { ARTIFACT_FILES } from '../../shared/artifact/schema.js';
import { registryKeys } from '../../shared/registry.js';
import { buildWorkerBundle, REPO_ROOT, startWorker, type LocalR2Bucket, type StartedWorker } from '../../test/helpers/worker.js';
import type { EncodedCatalog } from './catalog.js';

/** The bench Worker (production app + /__bench timing routes). */
export const BENCH_DIST = path.join(REPO_ROOT, '.wrangler/bench-dist');
/** The production Worker, built from wrangler.toml into a folder of its own (tests rebuild .wrangler/test-dist). */
export const PROD_DIST = path.join(REPO_ROOT, '.wrangler/bench-prod-dist');

export async function buildBundles(): Promise<{ benchMs: number; prodMs: number; prodBytes: number }> {
  const bench = await buildWorkerBundle(BENCH_DIST, path.join(REPO_ROOT, 'bench/wrangler.bench.toml'));
  const prod = await buildWorkerBundle(PROD_DIST, path.join(REPO_ROOT, 'wrangler.toml'));
  return { benchMs: bench.buildMs, prodMs: prod.buildMs, prodBytes: prod.bundleBytes };
}

/** Puts an artifact under <model>/v1/ and points CURRENT at it. */
export async function seedModel(bucket: LocalR2Bucket, model: string, a: EncodedCatalog, version = 'v1'): Promise<void> {
  await bucket.put(registryKeys.file(model, version, ARTIFACT_FILES.tensors), a.tensors.slice().buffer);
  await bucket.put(registryKeys.file(model, version, ARTIFACT_FILES.items), a.itemsText);
  await bucket.put(registryKeys.file(model, version, ARTIFACT_FILES.manifest), a.manifestText);
  await bucket.put(registryKeys.current(model), version);
}

async function workerdPids(): Promise<Set<number>> {
  const out = new Set<number>();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = await readFile(`/proc/${d}/status`, 'utf8');
      if (/^Name:\s*workerd/m.test(status) && new RegExp(`^PPid:\\s*${process.pid}$`, 'm').test(status)) out.add(Number(d));
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

export interface BenchWorker extends StartedWorker {
  /** workerd's pid, for RSS readings (null when /proc is unavailable). */
  pid: number | null;
  url: URL;
  /** workerd's V8 inspector on the user Worker (only when asked for: startBenchWorker's `inspect`). */
  inspector?: Inspector;
}

/** Starts a Worker from a bundle folder; `persist` keeps the R2 store on disk so fresh isolates can reuse it. */
export async function startBenchWorker(
  distDir: string,
  persist: string | false,
  bindings: Record<string, string> = {},
  inspect = false,
): Promise<BenchWorker> {
  const before = existsSync('/proc') ? await workerdPids() : new Set<number>();
  const inspectorPort = inspect ? await freePort() : undefined;
  // The bench measures catalogues past what production's MODEL_MEMORY_BUDGET_MB admits (250k items x 64 is ~63 MB of
  // tensors): the budget is lifted unless a part sets it.
  const w = await startWorker({ distDir, r2Persist: persist, bindings: { MODEL_MEMORY_BUDGET_MB: '4096', ...bindings }, inspectorPort });
  const url = await w.mf.ready;
  const after = existsSync('/proc') ? await workerdPids() : new Set<number>();
  const fresh = [...after].filter((p) => !before.has(p));
  const inspector = inspectorPort ? await openInspector(inspectorPort) : undefined;
  const stop = w.dispose;
  const dispose = async () => {
    inspector?.close();
    await stop();
  };
  return Object.assign(w, { pid: fresh.length === 1 ? fresh[0] : null, url, inspector, dispose });
}

/** Resident set of a process in bytes, from /proc (null when unavailable). */
export async function rssBytes(pid: number | null): Promise<{ rss: number; peak: number } | null> {
  if (pid === null) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

export async function postJson<T>(w: StartedWorker, p: string, body: unknown): Promise<T> {
  const res = await w.fetch(p, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${p} -> ${res.status}: ${text.slice(0, 2000)}`);
  return JSON.parse(text) as T;
}

export async function getJson<T>(w: StartedWorker, p: string): Promise<T> {
  const res = await w.fetch(p);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${p} -> ${res.status}: ${text.slice(0, 2000)}`);
  return JSON.parse(text) as T;
}

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat (10 ms ticks). Unlike a wall clock it
 * does not count time spent waiting for a core, which on this shared machine is most of the noise.
 */
export async function cpuMs(pid: number | null): Promise<number | null> {
  if (pid === null) return null;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

/**
 * GET over a plain node:http socket to the Worker's own port: Miniflare's dispatchFetch adds a few ms of Node-side
 * work per request, which would swamp the first-answer timings.
 */
export function httpGet(w: BenchWorker, p: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(p, w.url), { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}
