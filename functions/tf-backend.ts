// tfjs-core on the wasm backend inside workerd.
//
// The stock backend fetches and compiles its .wasm at run time, which Workers forbid; it then fails quietly and tfjs
// falls back to another backend. Here the SIMD binary arrives as a pre-compiled module (wrangler's CompiledWasm rule)
// and is handed to the emscripten glue through its `instantiateWasm` hook.
import * as tf from '@tensorflow/tfjs-core';
// Also registers the wasm kernels; kernels are keyed by backend name, so they serve the backend registered below.
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import createWasmModule, { type WasmGlueModule } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import simdModule from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';

const BACKEND = 'wasm';
// Same priority the package's own registration uses.
const PRIORITY = 2;

type BackendWasmModule = ConstructorParameters<typeof BackendWasm>[0];

let initPromise: Promise<void> | null = null;
let initMs = Number.NaN;
// tf.setBackend() only logs a factory's error and returns false; keep it to report the real cause.
let lastFactoryError: unknown = null;

// The glue's own test for Node. Under nodejs_compat (on by default from compatibility_date 2026-08-04) workerd has a
// `process` global that passes it, and the glue then fails on `__dirname`.
function glueWouldTakeNodePath(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p === 'object' && typeof p.versions === 'object' && typeof p.versions.node === 'string';
}

function instantiate(): Promise<WasmGlueModule> {
  if (glueWouldTakeNodePath()) {
    return Promise.reject(
      new Error(
        'nodejs_compat is on (it is the default from compatibility_date 2026-08-04): the tfjs wasm glue would take ' +
          'its Node path. Set compatibility_flags = ["no_nodejs_compat", "no_nodejs_compat_v2"] in wrangler.toml.',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    createWasmModule({
      instantiateWasm(imports, receive) {
        // Errors here would otherwise leave the glue's ready promise pending forever.
        WebAssembly.instantiate(simdModule, imports)
          .then((instance) => receive(instance, simdModule))
          .catch(reject);
        return {};
      },
      onAbort(what) {
        reject(new Error(`tfjs wasm module aborted: ${String(what)}`));
      },
    }).then((wasm) => {
      // Mirrors init() in @tensorflow/tfjs-backend-wasm/dist/backend_wasm.js (4.22.0).
      wasm.tfjs = {
        init: wasm.cwrap('init', null, []),
        initWithThreadsCount: wasm.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: wasm.cwrap('get_threads_count', 'number', []),
        registerTensor: wasm.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: wasm.cwrap('dispose_data', null, ['number']),
        dispose: wasm.cwrap('dispose', null, []),
      };
      resolve(wasm);
    }, reject);
  });
}

async function factory(): Promise<BackendWasm> {
  try {
    const wasm = await instantiate();
    return new BackendWasm(wasm as unknown as BackendWasmModule);
  } catch (err) {
    lastFactoryError = err;
    throw err;
  }
}

function registerFactory(): void {
  if (tf.findBackendFactory(BACKEND) !== factory) {
    // Replaces the stock factory (registered on import), which would try to fetch the .wasm.
    if (tf.findBackendFactory(BACKEND)) tf.removeBackend(BACKEND);
    tf.registerBackend(BACKEND, factory, PRIORITY);
  }
}
// At once, so that a tfjs call before ensureWasmBackend() fails loudly ("not yet initialized") rather than fetching.
registerFactory();

let ready = false;

async function init(): Promise<void> {
  const t0 = performance.now();
  registerFactory();
  lastFactoryError = null;
  const ok = await tf.setBackend(BACKEND);
  if (!ok) {
    const cause = lastFactoryError instanceof Error ? lastFactoryError.message : String(lastFactoryError);
    throw new Error(`tfjs wasm backend failed to initialise: ${cause}`, { cause: lastFactoryError });
  }
  // getBackend() names the backend that was asked for even when its init failed, so check the instance too.
  const active = tf.getBackend();
  if (active !== BACKEND || !(tf.engine().backend instanceof BackendWasm)) {
    throw new Error(`tfjs is running on backend '${active}', expected '${BACKEND}'`);
  }
  initMs = performance.now() - t0;
  ready = true;
}

/**
 * Whether tfjs-wasm is initialised in this isolate. It is initialised only when something needs it (a model that
 * loads tfjs tensors, a query the int8 engine does not cover, /healthz?tfjs): an isolate serving q8 models on the
 * engine alone never pays its heap (16 MB) or its start-up.
 */
export function tfReady(): boolean {
  return ready;
}

/** Initialises tfjs on the wasm backend once per isolate; a failed attempt is retried by the next caller. */
export function ensureWasmBackend(): Promise<void> {
  if (!initPromise) {
    initPromise = init().catch((err: unknown) => {
      initPromise = null;
      throw err;
    });
  }
  return initPromise;
}

/** For /healthz: the active backend, or null while tfjs is not initialised (tf.getBackend() would start it). */
export function backendInfo(): { backend: string | null; initMs: number | null } {
  return ready ? { backend: tf.getBackend(), initMs } : { backend: null, initMs: null };
}
