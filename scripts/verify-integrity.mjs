// npm run verify:integrity — runs the integrity scenarios (test/integrity: the two-replica burst
// on Redis and on a Redis Cluster, a replica killed mid-stream, a Redis outage, Redis stalled or
// restarted under 50 users, a cluster master killed mid-load: fail mode closed, open,
// and closed with store.settle_replicas 1) against real Redis
// and prints their figures as one table. Exit code: the test run's. An argument runs only the
// scenario files whose names start with it: `npm run verify:integrity -- failover`.
import { runAndTabulate } from './figures-table.mjs';

// The cluster failover scenarios are too long for `npm test` (vitest.config.ts) and run here.
process.env.TOLLGATE_LONG_SCENARIOS = '1';

process.exit(runAndTabulate({
  folder: `test/integrity/${process.argv[2] ?? ''}`, envName: 'INTEGRITY_REPORT', title: 'Integrity',
  columns: [
    ['scenario', 'scenario'], ['sent', 'requests sent'], ['succeeded', 'succeeded'], ['rejected', 'rejected'],
    ['overspend', 'overspend'], ['ledgerRecords', 'ledger records'], ['succeeded', 'successes'],
    ['ledgerSum', 'ledger sum (tokens)'], ['counters', 'counters (tokens)'], ['lost', 'charges lost'], ['doubled', 'charges doubled'],
    ['budgetUsed', 'budget used'], ['estimateRatio', 'prompt estimate ÷ provider'], ['unavailableSeconds', 'seconds unavailable'],
  ],
}));
