// The int8 scoring kernel in Node: compiled once per process from the committed binary (the Worker imports the same
// file, shared/engine/int8-scan.wasm, as a pre-compiled module: Workers may not compile wasm bytes). shared/ takes
// the module from its caller and never touches node:* itself; useWasmBackend() (training/tf-node.ts) registers this
// one as the process default, so every Node loadModel scores exactly as the Worker does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const INT8_SCAN_WASM_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../shared/engine/int8-scan.wasm');

let compiled: WebAssembly.Module | undefined;

export function int8ScanModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(readFileSync(INT8_SCAN_WASM_PATH)));
}
