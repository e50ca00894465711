// When each key was last used, kept off the request path: a request only notes its key in a Map
// (the latest time wins), and the notes go to the store in one call every `flushMs`
// (`auth.key_use_flush_ms`, 10 s by default), so a busy gateway writes once per interval whatever
// its traffic, and no request waits for it. Admin reads flush first (a gateway reads its own
// writes); another replica's uses show within its interval. A flush that fails is kept, merged
// with what came since, and tried again with the next one.
import type { Store } from '../store/types.js';
import type { Clock } from '../core/clock.js';

export interface KeyUseRecorder {
  /** Notes that a request authenticated with this key now. No I/O. */
  used(keyId: string): void;
  /** Writes what was noted; resolves when it is stored. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface KeyUseOptions {
  readonly store: Pick<Store, 'recordKeyUse'>;
  readonly clock: Clock;
  readonly flushMs: number;
  readonly onError?: (err: unknown) => void;
}

export function createKeyUseRecorder(o: KeyUseOptions): KeyUseRecorder {
  let noted = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const note = (into: Map<string, number>, keyId: string, at: number) => {
    if (at > (into.get(keyId) ?? -1)) into.set(keyId, at);
  };

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => void flush().catch((e: unknown) => o.onError?.(e)), o.flushMs);
    timer.unref();
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    // One write at a time, in order: a flush asked for meanwhile writes what came after.
    const next = running.then(async () => {
      if (noted.size === 0) return;
      const batch = noted;
      noted = new Map();
      try {
        await o.store.recordKeyUse([...batch]);
      } catch (e) {
        for (const [keyId, at] of batch) note(noted, keyId, at);
        schedule();
        throw e;
      }
    });
    running = next.catch(() => undefined);
    return next;
  }

  return {
    used(keyId) {
      note(noted, keyId, o.clock.now());
      schedule();
    },
    flush,
    close: flush,
  };
}
