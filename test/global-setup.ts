// Builds the Worker bundle once per test run; test files start Miniflare on it via test/helpers/worker.ts.
// The folder is per run (test workers inherit EDGEREC_TEST_DIST), so concurrent runs never rebuild each other's bundle.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<() => Promise<void>> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, '.wrangler', `test-dist-${process.pid}`);
  process.env.EDGEREC_TEST_DIST = dir;
  const { buildWorkerBundle } = await import('./helpers/worker');
  const meta = await buildWorkerBundle(dir);
  console.log(
    `[global-setup] worker bundle built in ${meta.buildMs.toFixed(0)} ms ` +
      `(${(meta.bundleBytes / 1024).toFixed(0)} KiB without source map)`,
  );
  return () => rm(dir, { recursive: true, force: true });
}
