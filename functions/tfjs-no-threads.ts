// Stands in for tfjs-backend-wasm's threaded glue (wrangler.toml [alias]): Workers have no SharedArrayBuffer threads,
// and functions/tf-backend.ts instantiates the single-threaded SIMD binary itself, so the backend's multi-threaded
// branch never runs here. Without this the bundle would carry ~39 KB of emscripten glue no request can reach.
export default function threadedSimdUnavailable(): never {
  throw new Error('tfjs-backend-wasm: the multi-threaded build is not bundled in the Worker (wrangler.toml [alias])');
}
export const wasmWorkerContents = '';
