import { configDefaults, defineConfig } from 'vitest/config';

// The Redis Cluster failover scenarios (test/integrity/failover.test.ts: three clusters of 3 masters
// + 3 replicas, a master killed under load in each) take 75 s and more on this shared 2-core
// machine, so they run in `npm run verify:integrity` (TOLLGATE_LONG_SCENARIOS=1), not in `npm test`.
const long = process.env.TOLLGATE_LONG_SCENARIOS === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: long ? configDefaults.exclude : [...configDefaults.exclude, 'test/integrity/failover.test.ts'],
    globalSetup: ['test/support/global-tmp.ts', 'test/support/global-redis.ts', 'test/support/global-build.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
