// CPU profile of one route inside workerd, from the V8 inspector's sampling profiler: where a request's time goes
// besides its query. `npx tsx bench/profile-route.ts [path] [--cold]` seeds a 10k x 64 q8 catalogue as model m in a
// fresh bench Worker; by default it calls the route 4,000 times inside the Worker (/__bench/handler) and profiles
// that; with --cold it profiles the first request alone (R2 read, decode, load, first answer) and prints the
// model store's phases. Prints the functions with the most self time (line numbers are the bundle's, 0-based).
import { encodeCatalog, makeCatalog } from './lib/catalog.js';
import { BENCH_DIST, buildBundles, getJson, postJson, seedModel, startBenchWorker } from './lib/workers.js';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const cold = process.argv.includes('--cold');
const path = process.argv.slice(2).find((a) => a.startsWith('/')) ?? '/v1/models/m/items/5/similar?k=10';
await buildBundles();
const w = await startBenchWorker(BENCH_DIST, false, {}, true);
try {
  await seedModel(w.bucket, 'm', await encodeCatalog(makeCatalog({ items: 10000, users: 2000, dim: 64, seenPerUser: 100, seed: 7 }), 'q8'));
  const ins = w.inspector!;
  if (!cold) {
    await getJson(w, path);
    console.log('ms per request in the Worker:', await postJson(w, '/__bench/handler', { paths: [path, '/healthz'], n: 500 }));
  }
  await ins.call('Profiler.enable');
  await ins.call('Profiler.setSamplingInterval', { interval: 50 });
  await ins.call('Profiler.start');
  if (cold) await getJson(w, path);
  else await postJson(w, '/__bench/handler', { paths: [path], n: 4000 });
  const { profile } = await ins.call<{ profile: Profile }>('Profiler.stop');
  if (cold) console.log('phases:', JSON.stringify((await getJson<{ models: { phases: unknown }[] }>(w, '/healthz')).models[0]?.phases));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((s, i) => {
    const f = byId.get(s)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
} finally {
  await w.dispose();
}
