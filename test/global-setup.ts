// Builds the Worker bundle once per test run; test files start Miniflare on it via test/helpers/worker.ts.
// The folder is per run (test workers inherit EDGEREC_TEST_DIST), so concurrent runs never rebuild each other's bundle.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<() => Promise<void>> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  // Every temporary folder a test (or a CLI it spawns) makes goes under one per-run folder: os.tmpdir() reads
  // TMPDIR, test workers and child processes inherit it, and teardown removes it, so no run leaves folders behind.
  const tmp = await mkdtemp(path.join(tmpdir(), 'edgerec-test-run-'));
  process.env.TMPDIR = tmp;
  const dir = path.join(root, '.wrangler', `test-dist-${process.pid}`);
  process.env.EDGEREC_TEST_DIST = dir;
  const { buildWorkerBundle } = await import('./helpers/worker');
  const meta = await buildWorkerBundle(dir);
  console.log(
    `[global-setup] worker bundle built in ${meta.buildMs.toFixed(0)} ms ` +
      `(${(meta.bundleBytes / 1024).toFixed(0)} KiB without source map)`,
  );
  return async () => {
    await Promise.all([rm(dir, { recursive: true, force: true }), rm(tmp, { recursive: true, force: true })]);
  };
}
