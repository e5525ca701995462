// The int8 scoring kernel for the Worker: wrangler's CompiledWasm rule turns this import into a WebAssembly.Module
// (Workers may not compile wasm bytes), and loadModel instantiates it once per loaded model (shared/model/engine-scorer.ts).
import int8Scan from '../shared/engine/int8-scan.wasm';
import type { LoadOptions } from '../shared/model/loaded.js';
import type { Env } from './env.js';
import { tfReady } from './tf-backend.js';

/**
 * loadModel's options in this isolate. EDGEREC_SCORER=tfjs (a [vars] entry) serves q8 artifacts on tfjs matMul +
 * topk instead of the kernel: an escape hatch, and how the bench measures the previous path in a fresh isolate.
 */
export function loadOptions(env: Env): LoadOptions {
  return { int8Scan, scorer: env.EDGEREC_SCORER === 'tfjs' ? 'tfjs' : 'engine', tfReady };
}
