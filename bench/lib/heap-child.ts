// Run by the memory part as `node --expose-gc --import tsx bench/lib/heap-child.ts <items> <users> <quantization>`:
// how much JS heap (V8 objects + ArrayBuffers) and wasm heap a loaded catalogue keeps, measured after full GCs.
// Prints one JSON line. A separate process, so nothing else the bench holds is counted; modules are imported
// dynamically so that the baseline is taken before any of them loads.
import type { LoadedModel } from '../../shared/model/loaded.js';
import type { Quantization } from '../../shared/artifact/schema.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const [items, users] = process.argv.slice(2, 4).map(Number);
const q = process.argv[4] as Quantization;

// A new macrotask before collecting: objects the current job touched can stay alive until it ends.
const js = async () => {
  await new Promise((r) => setTimeout(r, 10));
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const base0 = await js();
// What a Worker isolate holds before any model: its modules (hono, tfjs, shared/; functions/ itself imports a .wasm
// module, which Node cannot) and an initialised backend.
await import('hono');
const tf = await import('@tensorflow/tfjs-core');
const { useWasmBackend } = await import('../../training/tf-node.js');
const { decodeArtifact } = await import('../../shared/artifact/decode.js');
const { loadModel } = await import('../../shared/model/loaded.js');
const { recommendForUser, similarItems } = await import('../../shared/model/queries.js');
await useWasmBackend();
const baseJs = (await js()) - base0;
const wasmHeap = () => (tf.engine().findBackend('wasm') as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
const baseWasm = wasmHeap();

const { encodeCatalog, makeCatalog } = await import('./catalog.js');
const { SEEN_PER_USER, DIM } = await import('./context.js');
let files: Awaited<ReturnType<typeof encodeCatalog>> | null = await encodeCatalog(
  makeCatalog({ items, users, dim: DIM, seenPerUser: SEEN_PER_USER, seed: 1000 + items }),
  q,
);
const filesBytes = files.tensors.byteLength + files.itemsText.length + files.manifestText.length;
const before = (await js()) - filesBytes;
// As the Worker decodes (publish checked the rest once).
let model: LoadedModel | null = loadModel('heap', 'v', await decodeArtifact(files.manifestText, files.tensors, files.itemsText, { verify: 'checksum' }));
files = null;
const wasmAfterLoad = wasmHeap();
similarItems(model, 0, 10);
recommendForUser(model, 0, 10, true);
const wasmAfterQueries = wasmHeap();
const modelJs = (await js()) - before;
process.stdout.write(
  JSON.stringify({
    items,
    users,
    quantization: q,
    baseJs,
    baseWasm,
    filesBytes,
    modelJs,
    wasmAfterLoad,
    wasmAfterQueries,
    residentBytes: model.residentBytes,
    catalogBytes: model.catalogBytes,
    engineBytes: model.engineBytes,
  }) + '\n',
);
model.dispose();
model = null;
