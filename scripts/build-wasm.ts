// Builds shared/engine/int8-scan.wasm from its WebAssembly text with wabt (SIMD 128; no relaxed SIMD):
//   npm run build:wasm            # writes the .wasm
//   npm run build:wasm -- --check # exits 1 when the committed .wasm is not what the .wat builds to
// The .wasm is committed (README "The int8 scoring kernel"); test/shared/int8-engine.test.ts rebuilds and compares.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wabt from 'wabt';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const INT8_SCAN_WAT = path.join(ROOT, 'shared/engine/int8-scan.wat');
export const INT8_SCAN_WASM = path.join(ROOT, 'shared/engine/int8-scan.wasm');

/** The binary the .wat assembles to. Deterministic for a given wabt version (pinned in package.json). */
export async function assembleInt8Scan(watPath = INT8_SCAN_WAT): Promise<Uint8Array> {
  const { parseWat } = await wabt();
  const mod = parseWat(path.basename(watPath), await readFile(watPath, 'utf8'), { simd: true, relaxed_simd: false });
  try {
    mod.resolveNames();
    mod.validate();
    // No name section: the binary stays small and does not change when a local is renamed.
    return mod.toBinary({ write_debug_names: false, canonicalize_lebs: true }).buffer;
  } finally {
    mod.destroy();
  }
}

async function main(args: string[]): Promise<void> {
  const bytes = await assembleInt8Scan();
  // Validates in this Node too (V8's own SIMD support), not only in wabt.
  new WebAssembly.Module(new Uint8Array(bytes));
  const rel = path.relative(ROOT, INT8_SCAN_WASM);
  if (args.includes('--check')) {
    const committed = await readFile(INT8_SCAN_WASM).catch(() => undefined);
    if (!committed || Buffer.compare(committed, Buffer.from(bytes)) !== 0) {
      console.error(`${rel} is not what ${path.relative(ROOT, INT8_SCAN_WAT)} builds to: run npm run build:wasm and commit it`);
      process.exit(1);
    }
    console.log(`${rel} is up to date (${bytes.length} bytes)`);
    return;
  }
  await writeFile(INT8_SCAN_WASM, bytes);
  console.log(`wrote ${rel} (${bytes.length} bytes)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
