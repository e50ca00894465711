// Delivers the outbox's events to the configured webhooks, off the request path: every poll it
// claims what is new or due for a retry, POSTs it signed, and reports back. A failed attempt is
// retried with exponential backoff; a delivery a dead replica held is retried by another once it
// has been idle as long. At-least-once: a receiver de-duplicates by the event id.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { Config, Webhook } from '../config/loader.js';
import type { ClaimPolicy, Delivery, Outbox } from '../store/outbox.js';
import type { Clock } from '../core/clock.js';
import { eventBody, webhookId } from './event-body.js';
import { sign } from './signature.js';

const BATCH = 20;

export interface DelivererOptions {
  readonly outbox: Outbox;
  readonly webhooks: readonly Webhook[];
  readonly settings: Config['webhook_delivery'];
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface Deliverer {
  /** Registers the webhooks (events recorded from now on are theirs) and starts polling. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Backoff after `attempts` tries; never shorter than an attempt may take, so a live attempt is not taken over. */
export function retryPolicy(s: Config['webhook_delivery']): ClaimPolicy {
  return {
    retryAfter: (attempts) => Math.max(Math.min(s.backoff_ms * 2 ** Math.max(0, attempts - 1), s.max_backoff_ms), s.timeout_ms + 1000),
    count: BATCH,
  };
}

export function createDeliverer(o: DelivererOptions): Deliverer {
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const hooks = o.webhooks.map((w) => ({ ...w, id: webhookId(w.url) }));
  const policy = retryPolicy(o.settings);
  const agent = new Agent({ connect: { timeout: o.settings.timeout_ms } });
  const log = o.logger.child({ component: 'webhooks' });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const registered = new Set<string>();

  async function attempt(hook: (typeof hooks)[number], d: Delivery): Promise<void> {
    if (!(hook.events as readonly string[]).includes(d.event.type)) return o.outbox.delivered(hook.id, d, o.clock.now(), true);
    const body = JSON.stringify(eventBody(d.event));
    let error: string | null = null;
    try {
      const res = await request(hook.url, {
        method: 'POST', body, dispatcher: agent, signal: AbortSignal.timeout(o.settings.timeout_ms),
        headers: {
          'content-type': 'application/json', 'user-agent': 'tollgate-webhooks',
          'tollgate-event-id': d.event.id, 'tollgate-signature': sign(hook.secret, body, Math.floor(o.clock.now() / 1000)),
        },
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode > 299) error = `HTTP ${res.statusCode}`;
    } catch (err) {
      error = (err as Error).message;
    }
    if (error === null) {
      log.info({ event: d.event.id, type: d.event.type, user: d.event.user, url: hook.url, attempt: d.attempt }, 'webhook delivered');
      return o.outbox.delivered(hook.id, d, o.clock.now());
    }
    log.warn({ event: d.event.id, url: hook.url, attempt: d.attempt, err: error, retryInMs: policy.retryAfter(d.attempt) }, 'webhook delivery failed: will retry');
    return o.outbox.failed(hook.id, d, error, o.clock.now());
  }

  async function tick(): Promise<void> {
    await Promise.all(hooks.map(async (hook) => {
      try {
        if (!registered.has(hook.id)) {
          await o.outbox.subscribe(hook.id);
          registered.add(hook.id);
        }
        await Promise.all((await o.outbox.due(hook.id, consumer, policy)).map((d) => attempt(hook, d)));
      } catch (err) {
        log.warn({ url: hook.url, err: (err as Error).message }, 'webhook outbox unavailable: will try again');
      }
    }));
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = null;
        schedule();
      });
    }, o.settings.poll_ms);
    timer.unref();
  }

  return {
    async start() {
      if (hooks.length === 0) return;
      log.info({ webhooks: hooks.map((h) => h.url), consumer }, 'webhook delivery started');
      for (const hook of hooks) {
        // A store not reachable yet: the first poll that reaches it registers the webhook.
        await o.outbox.subscribe(hook.id).then(() => registered.add(hook.id), () => undefined);
      }
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await agent.close();
    },
  };
}
