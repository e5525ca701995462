// Builds the Worker bundle once per test run; test files start Miniflare on it via test/helpers/worker.ts.
import { buildWorkerBundle } from './helpers/worker';

export default async function setup(): Promise<void> {
  const meta = await buildWorkerBundle();
  console.log(
    `[global-setup] worker bundle built in ${meta.buildMs.toFixed(0)} ms ` +
      `(${(meta.bundleBytes / 1024).toFixed(0)} KiB without source map)`,
  );
}
