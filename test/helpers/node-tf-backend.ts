// functions/tf-backend.ts for app tests that run the Hono app in Node (app.request): the Worker module imports the
// wasm binary as a compiled module, which only wrangler's bundle provides. Same contract, on training/tf-node.ts's
// wasm backend. Use: vi.mock('../../functions/tf-backend.js', () => import('../helpers/node-tf-backend.js')).
import { useWasmBackend } from '../../training/tf-node.js';

let ready = false;

export async function ensureWasmBackend(): Promise<void> {
  await useWasmBackend();
  ready = true;
}

export function tfReady(): boolean {
  return ready;
}

export function backendInfo(): { backend: string | null; initMs: number | null } {
  return ready ? { backend: 'wasm', initMs: 0 } : { backend: null, initMs: null };
}
