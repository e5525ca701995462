// CPU profile of one route inside workerd: `npx tsx bench/profile-route.ts [path]` seeds a 10k x 64 q8 catalogue
// as model m, calls the route in a loop inside the bench Worker (/__bench/handler) under the V8 inspector's sampling
// profiler, and prints the functions with the most self time. Where a route's time goes besides its query.
import { buildBundles, BENCH_DIST, getJson, postJson, seedModel, startBenchWorker } from './lib/workers.js';
import { encodeCatalog, makeCatalog } from './lib/catalog.js';
await buildBundles();
const w = await startBenchWorker(BENCH_DIST, false, {}, true);
const files = await encodeCatalog(makeCatalog({ items: 10000, users: 2000, dim: 64, seenPerUser: 100, seed: 7 }), 'q8');
await seedModel(w.bucket, 'm', files);
const path = process.argv[2] ?? '/v1/models/m/items/5/similar?k=10';
await getJson(w, path);
console.log(await postJson(w, '/__bench/handler', { paths: [path, '/healthz'], n: 500 }));
const ins = w.inspector!;
await ins.call('Profiler.enable');
await ins.call('Profiler.setSamplingInterval', { interval: 50 });
await ins.call('Profiler.start');
await postJson(w, '/__bench/handler', { paths: [path], n: 4000 });
const { profile } = await ins.call<{ profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] } }>('Profiler.stop');
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
profile.samples.forEach((s, i) => {
  const n = byId.get(s)!;
  const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
[...self].sort((a, b) => b[1] - a[1]).slice(0, 30).forEach(([k, t]) => console.log((100 * t / total).toFixed(1).padStart(5), k));
await w.dispose();
