// The int8 scoring kernel compiled in Node from the committed binary (the Worker imports the same file as a module).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const INT8_SCAN_WASM_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/engine/int8-scan.wasm');

let compiled: WebAssembly.Module | undefined;

export function int8ScanModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(readFileSync(INT8_SCAN_WASM_PATH)));
}
