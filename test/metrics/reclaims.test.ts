// A reclaimed reservation is seen by an operator: a log line naming it, and a count (issue 13).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { reportReclaims } from '../../src/metrics/reclaims.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { createManualClock } from '../../src/core/clock.js';
import { check, plainReservation } from '../store/contract.js';

describe('reclaimed reservations', () => {
  it('are logged one line each with the user and the reservation id, and counted', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const metrics = createMetrics();
    const clock = createManualClock(Date.UTC(2026, 11, 1));
    const store = createMemoryStore({ clock, onReclaim: reportReclaims(logger, metrics) });
    const checks = [check('tokens', 'day', 1000, 10)];
    for (const id of ['tg_lost1', 'tg_lost2']) await store.reserve(plainReservation({ userId: 'vera', requestId: id, checks, ttlMs: 1000 }));
    expect(await metrics.registry.metrics()).toMatch(/tollgate_reservations_reclaimed_total 0/);
    clock.advance(2000);
    await store.reserve(plainReservation({ userId: 'vera', requestId: 'tg_next', checks }));
    expect(await metrics.registry.metrics()).toMatch(/tollgate_reservations_reclaimed_total 2/);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith('reservation reclaimed'));
    expect(logged.map((l) => [l.userId, l.reservationId, l.level])).toEqual([['vera', 'tg_lost1', 40], ['vera', 'tg_lost2', 40]]);
    await store.close();
  });
});
