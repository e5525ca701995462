// Id lookup at 1M ids: the artifact's compact table (UTF-8 blob + offsets + byte-sorted order, binary search,
// shared/artifact/strings.ts) against a Map of every id built at load. Run: node --expose-gc --import tsx bench/id-lookup.ts
import { StringTable } from '../shared/artifact/strings.js';
const gc = (globalThis as { gc?: () => void }).gc!;
const n = 1_000_000;
const ids = Array.from({ length: n }, (_, i) => String(i + 1));
const t = StringTable.from(ids);
const bytes = t.bytes.slice(), offsets = t.offsets.slice(), order = t.order!.slice();
const table = new StringTable(bytes, offsets, order);
const q = Array.from({ length: 100_000 }, (_, i) => String(((i * 7919) % n) + 1));
let s = 0;
let t0 = performance.now();
for (const id of q) s += table.indexOf(id);
const tLookup = (performance.now() - t0) / q.length;
gc(); const h0 = process.memoryUsage().heapUsed;
t0 = performance.now();
const decoded = Array.from({ length: n }, (_, i) => table.get(i));
const map = new Map(decoded.map((id, i) => [id, i]));
const tBuild = performance.now() - t0;
gc(); const h1 = process.memoryUsage().heapUsed;
t0 = performance.now();
for (const id of q) s += map.get(id)!;
const tMap = (performance.now() - t0) / q.length;
console.log(JSON.stringify({ lookupUs: tLookup * 1000, mapBuildMs: tBuild, mapHeapMB: (h1 - h0) / 2 ** 20, mapLookupUs: tMap * 1000, tableMB: table.byteLength / 2 ** 20, s }));
