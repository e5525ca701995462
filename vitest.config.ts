import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Worker tests start workerd and may load models from local R2.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
