// The embedded store on disk, in process: the shared contract holds on it, everything survives a
// reopen (reservations in flight are given back), the log replays to the very state the live
// store had (compacting on the way), and damage is told apart: a torn end is dropped with a
// warning, anything else is an error naming the file.
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataDirError } from '../../../src/store/durable/data-dir.js';
import { openDurableStore } from '../../../src/store/durable/durable-store.js';
import { encodeRecord, readRecords } from '../../../src/store/durable/record-file.js';
import { stateRecords } from '../../../src/store/durable/state-codec.js';
import { createMemoryStore, type MemoryStore } from '../../../src/store/memory.js';
import type { OnReclaim, Store } from '../../../src/store/types.js';
import { createManualClock, type Clock } from '../../../src/core/clock.js';
import { check, plainReservation, storeContract } from '../contract.js';
import { ledgerContract } from '../contract-ledger.js';
import { command, runBoth } from '../differential-model.js';
import { calendarContract } from '../contract-calendar.js';
import { grantsContract } from '../contract-grants.js';
import { keyUseContract } from '../contract-keys.js';
import { tempDir } from '../../support/temp-dir.js';

const T0 = Date.UTC(2026, 10, 23, 12);

function open(dir: string, clock: Clock, warnings: string[] = [], compactBytes?: number, fsync: 'always' | 'everysec' = 'everysec', onReclaim?: OnReclaim): Store {
  return openDurableStore({ dir, fsync, clock, warn: (m) => warnings.push(m), ...(compactBytes ? { compactBytes } : {}), ...(onReclaim ? { onReclaim } : {}) });
}

storeContract('durable memory', async (clock, onReclaim) => open(tempDir('tollgate-data'), clock, [], undefined, 'everysec', onReclaim));
ledgerContract('durable memory', async (clock) => open(tempDir('tollgate-data'), clock));
calendarContract('durable memory', async (clock) => open(tempDir('tollgate-data'), clock));
grantsContract('durable memory', async (clock) => open(tempDir('tollgate-data'), clock));
keyUseContract('durable memory', async (clock) => open(tempDir('tollgate-data'), clock));

const record = (requestId: string, user: string, costMicros: number) => ({
  requestId, time: T0, user, model: 'm', conversation: null, promptTokens: 3, completionTokens: 4,
  cachedTokens: 0, reasoningTokens: 0, costMicros, outcome: 'ok' as const, estimated: false, anomaly: null,
});

/** A user, a key, settings, a settled request in a tree, and one still in flight. */
async function fill(store: Store): Promise<void> {
  await store.putUser({ id: 'alice', limits: { tokens_per_day: 1000 }, allowedModels: null, disabled: false, createdAt: 1 });
  await store.putKey('digest-a', { keyId: 'key-a', userId: 'alice', prefix: 'tg-a', name: null, createdAt: 2, expiresAt: null });
  await store.putSettings({ requests_per_minute: 60 });
  await store.recordCalibration([{ model: 'm', ratioPermille: 1100, surplus: 3, samples: 2 }]);
  const checks = [check('tokens', 'day', 1000, 10, 1)];
  const conversation = { id: 'root', parentId: null, budgetMicros: 500 };
  const spend = { fixed: 10, perOutput: 0, priced: true };
  await store.reserve(plainReservation({ userId: 'alice', requestId: 'r1', checks, maxOutput: 50, conversation, spend }));
  const actual = { requests: 1, messages: 1, tokens: 42, credits: 0, spend_micros: 7 };
  await store.settle({ userId: 'alice', requestId: 'r1', checks, actual, conversationRoot: 'root', record: record('r1', 'alice', 7) });
  await store.reserve(plainReservation({ userId: 'alice', requestId: 'r2', checks, maxOutput: 100, parallelLimit: 3, conversation, spend }));
}

async function expectFilled(store: Store): Promise<void> {
  expect(await store.getUser('alice')).toMatchObject({ id: 'alice', limits: { tokens_per_day: 1000 } });
  expect(await store.keyByDigest('digest-a')).toMatchObject({ keyId: 'key-a', userId: 'alice' });
  expect(await store.getSettings()).toEqual({ requests_per_minute: 60 });
  expect(await store.calibration()).toEqual([{ model: 'm', ratioPermille: 1100, surplus: 3, samples: 2 }]);
  const states = await store.peek({ userId: 'alice', checks: [check('tokens', 'day', 1000, 0)], parallelLimit: 3, conversationId: 'root' });
  // r2 was in flight when the store closed: nothing can settle it now, so it is given back.
  expect(states.map((s) => [s.dimension, s.used, s.reserved])).toEqual([['spend_micros', 7, 0], ['parallel', 0, 0], ['tokens', 42, 0]]);
  expect((await store.ledger('alice', 10)).map((r) => r.requestId)).toEqual(['r1']);
  // History and the usage index are part of the state too.
  expect((await store.history({ userId: 'alice', from: T0, to: T0 }))[0]?.totals).toMatchObject({ requests: 1, tokens: 42, tokens_in: 3, spend_micros: 7 });
  expect((await store.history({ userId: null, from: T0, to: T0 }))[0]?.models.m).toMatchObject({ tokens_out: 4 });
  expect((await store.usageRanking({ window: 'day', dimension: 'tokens', at: T0, offset: 0, limit: 5, order: 'desc' })).entries).toEqual([{ userId: 'alice', value: 42 }]);
}

describe('the embedded store on disk', () => {
  const files = (dir: string, prefix: string) => readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => path.join(dir, f));

  it.each(['everysec', 'always'] as const)('keeps users, keys, settings, counters, trees and the ledger across a reopen, and gives back what was in flight (fsync %s)', async (fsync) => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(T0);
    const first = open(dir, clock, [], 600, fsync);
    await fill(first);
    await first.close();
    const second = open(dir, clock, [], undefined, fsync);
    await expectFilled(second);
    await second.close();
    const third = open(dir, clock, [], undefined, fsync);
    await expectFilled(third);
    await third.close();
  });

  it.each(['everysec', 'always'] as const)('answers a call only once its record is in the log file, when calls of one turn are written together (fsync %s)', async (fsync) => {
    const dir = tempDir('tollgate-data');
    const store = open(dir, createManualClock(T0), [], undefined, fsync);
    const logged = () => files(dir, 'log-').map((f) => readFileSync(f, 'utf8')).join('');
    const checks = [check('requests', 'day', 1000, 1)];
    // Twenty reserves made in one turn, as a busy gateway makes them; each answer checks the file.
    const ids = Array.from({ length: 20 }, (_, i) => `turn-${i}`);
    const inFileWhenAnswered = await Promise.all(ids.map((id) => store.reserve(plainReservation({ userId: 'alice', requestId: id, checks }))
      .then(() => logged().includes(`"${id}"`))));
    expect(inFileWhenAnswered).toEqual(ids.map(() => true));
    // A refusal is answered after the log too, and is not reported as unhandled meanwhile.
    await expect(store.reserve(plainReservation({ userId: 'alice', requestId: 'turn-0', checks }))).rejects.toThrow(/already reserved/);
    await store.close();
  });

  it('replays its log to the state the live store had, compacting on the way', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 120, size: 'max' }), async (cmds) => {
      const dir = tempDir('tollgate-data');
      let live: MemoryStore | undefined;
      await runBoth(cmds, async (clock) => {
        live = createMemoryStore({ clock, sweepEveryMs: null });
        // Compacting whenever the log passes 4 KiB: many snapshots in one sequence, each written
        // while later calls go on (the event loop turns before every call).
        const durable = open(dir, clock, [], 4096);
        const turning = new Proxy(durable, { get: (t, k) => {
          const v = Reflect.get(t, k) as unknown;
          if (typeof v !== 'function') return v;
          return async (...a: unknown[]) => {
            await new Promise((r) => setImmediate(r));
            return (v as (...x: unknown[]) => unknown)(...a);
          };
        } });
        return { a: live, b: turning };
      }, ['u0', 'u1'], T0);
      if (!live) throw new Error('no live store');
      live.releaseAll();
      const reopened = open(dir, createManualClock(T0));
      await reopened.close();
      const snapshot = readdirSync(dir).find((f) => f.startsWith('snapshot-')) as string;
      const saved = readRecords(path.join(dir, snapshot), true).records.slice(1, -1).map((r) => JSON.stringify(r));
      const expected = [...stateRecords(live.state)].map((r) => encodeRecord(r).slice(9, -1));
      expect(saved).toEqual(expected);
    }), { numRuns: 25 });
  }, 60_000);

  it('drops a record torn by a crash mid-write with a warning, and keeps everything before it', async () => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(T0);
    const first = open(dir, clock);
    await fill(first);
    await first.close();
    const [log] = files(dir, 'log-');
    const whole = encodeRecord({ t: T0, op: 'putSettings', args: [{ requests_per_minute: 1 }] });
    appendFileSync(log as string, whole.slice(0, whole.length - 7));
    const warnings: string[] = [];
    const second = open(dir, clock, warnings);
    await expectFilled(second);
    expect(warnings.join('\n')).toMatch(/log-\d+\.jsonl: dropped \d+ bytes at its end, a record cut short by a crash mid-write/);
    // The torn record is gone for good: the store appends after the last whole record.
    await second.putSettings({ requests_per_minute: 7 });
    await second.close();
    const third = open(dir, clock, warnings);
    expect(await third.getSettings()).toEqual({ requests_per_minute: 7 });
    await third.close();
  });

  it('refuses a log damaged in the middle, naming the file and the record', async () => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(T0);
    const first = open(dir, clock);
    await fill(first);
    await first.close();
    const [log] = files(dir, 'log-') as [string];
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[1] = (lines[1] as string).replace('alice', 'alicf');
    writeFileSync(log, lines.join('\n'));
    expect(() => open(dir, clock)).toThrow(DataDirError);
    expect(() => open(dir, clock)).toThrow(new RegExp(`${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: record 2 is damaged but records after it are whole`));
  });

  it('refuses a damaged snapshot, naming the file', async () => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(T0);
    const first = open(dir, clock);
    await fill(first);
    await first.close();
    await open(dir, clock).close(); // opening compacts the log into a new snapshot
    const [snapshot] = files(dir, 'snapshot-') as [string];
    writeFileSync(snapshot, readFileSync(snapshot, 'utf8').replace('alice', 'alicf'));
    expect(() => open(dir, clock)).toThrow(DataDirError);
    expect(() => open(dir, clock)).toThrow(`${snapshot}: record`);
    writeFileSync(snapshot, readFileSync(snapshot, 'utf8').split('\n').slice(0, 1).join('\n') + '\n');
    expect(() => open(dir, clock)).toThrow(`${snapshot}: not a readable snapshot (incomplete`);
  });

  it('one store per directory: a second open is refused while the first holds the lock; a dead holder\'s lock is taken over', async () => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(T0);
    const first = open(dir, clock);
    expect(() => open(dir, clock)).toThrow(/is already open in this process/);
    await first.close();
    writeFileSync(path.join(dir, 'LOCK'), '2147483646\n');
    const warnings: string[] = [];
    const second = open(dir, clock, warnings);
    expect(warnings.join()).toMatch(/taking over the lock of pid 2147483646, which is no longer running/);
    await second.close();
  });
});
