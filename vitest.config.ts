import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // One more worker than this 2-core box's cores: many files wait on workerd, Chromium or a spawned CLI, and a third
    // worker fills those waits (measured: 157 s with 2 workers, 97 s with 3, on an idle box).
    maxWorkers: 3,
    // Worker tests start workerd and may load models from local R2.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
