import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { setDefaultInt8Scan } from '../shared/model/engine-scorer.js';
import { int8ScanModule } from './engine-node.js';

let ready: Promise<void> | undefined;

/**
 * The wasm backend in Node: the stock backend loads its .wasm from node_modules. Asserted, because tfjs
 * silently falls back to the cpu backend when wasm fails, and scores must come from the same backend the
 * Worker runs. Also registers the int8 kernel (training/engine-node.ts) as loadModel's default, so that Node
 * scores q8 artifacts with the same kernel as the Worker.
 */
export function useWasmBackend(): Promise<void> {
  setDefaultInt8Scan(int8ScanModule());
  ready ??= (async () => {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    if (!ok || tf.getBackend() !== 'wasm') {
      ready = undefined;
      throw new Error(`tfjs wasm backend failed to initialise in Node (active backend: ${tf.getBackend()})`);
    }
  })();
  return ready;
}
