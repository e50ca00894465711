import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-redis.ts', 'test/support/global-build.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
