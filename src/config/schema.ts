// The shape of config/gateway.yaml after environment overrides, validated with zod so a bad
// value is reported with the path of the field that holds it.
import { z } from 'zod';
import { ALL_LIMIT_FIELDS, LIMIT_NAMES } from '../limits/vocabulary.js';
import { isTimeZone } from '../limits/zone-table.js';

const ms = z.number().int().positive();
const count = z.number().int().nonnegative();

const limitsShape = Object.fromEntries(ALL_LIMIT_FIELDS.map((f) => [f, count.nullable().optional()]));
/** An IANA time zone this Node knows (day, week and month windows start at its local midnight). */
const timeZone = z.string().refine(isTimeZone, { message: 'must be an IANA time zone, e.g. Europe/Moscow' });
const anchorDay = z.number().int().min(1).max(31);

/** An issuer whose signed tokens Tollgate accepts as its users' (DESIGN "JWT"). */
const jwtIssuer = z.object({
  issuer: z.string().min(1),
  audience: z.string().min(1),
  jwks_url: z.url({ protocol: /^https?$/ }).optional(),
  public_key: z.string().includes('-----BEGIN PUBLIC KEY-----', { message: 'must be a PEM public key (SPKI)' }).optional(),
  user_claim: z.string().min(1).default('sub'),
  plan_claim: z.string().min(1).nullable().default(null),
  // A token whose kid the cached key set lacks refetches it, at most once per this long.
  jwks_cooldown_ms: count.default(30_000),
  clock_tolerance_s: count.default(5),
}).strict().refine((j) => (j.jwks_url === undefined) !== (j.public_key === undefined), { message: 'give exactly one of jwks_url and public_key' });

// Fractions of a limit whose crossing records an event: one list for every limit, or lists per
// limit name with `default` for the others.
const fractions = z.array(z.number().positive().max(1)).max(10);
const thresholdsShape = Object.fromEntries(['default', ...LIMIT_NAMES.map((l) => l.name)].map((f) => [f, fractions.optional()]));
export const EVENT_TYPES = ['threshold', 'refused', 'conversation_budget'] as const;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** One upstream of several, routed to by model (DESIGN "Upstreams"); its key is read from `api_key_env`. */
const upstreamEntry = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Za-z0-9._-'),
  kind: z.enum(['openai', 'anthropic']).default('openai'),
  // Default: the provider's own (https://api.openai.com/v1, https://api.anthropic.com/v1).
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  api_key_env: envName.optional(),
  // Sent with every call to this upstream (OpenRouter's HTTP-Referer, an OpenAI-Organization, …).
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name'), z.string()).default({}),
  // Model names it serves: globs, `*` any run of characters; first match wins.
  models: z.array(z.string().min(1).max(256)).default([]),
  // Serves the models no upstream's `models` matches.
  default: z.boolean().default(false),
  // Upstreams tried next when this one cannot be reached or fails before its first byte.
  fallback: z.array(z.string()).default([]),
}).strict();


export const configSchema = z
  .object({
    server: z.object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      body_limit_bytes: z.number().int().positive().default(8 * 1024 * 1024),
      headers_timeout_ms: ms.default(10_000),
      request_timeout_ms: ms.default(60_000),
      keep_alive_timeout_ms: ms.default(5_000),
      // Client connections at once; past this a new connection is closed at once (before it can
      // use up the process's file descriptors). Each open stream also holds an upstream connection.
      max_connections: z.number().int().positive().default(10_000),
    }).strict().prefault({}),
    upstream: z.object({
      base_url: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
      api_key: z.string().min(1).nullable().default(null),
      // Sent as OpenAI-Organization / OpenAI-Project with every upstream call; a client's own
      // values are never forwarded (they would choose what the gateway's key is billed to).
      organization: z.string().min(1).nullable().default(null),
      project: z.string().min(1).nullable().default(null),
      timeouts: z.object({
        connect_ms: ms.default(10_000),
        headers_ms: ms.default(300_000),
        idle_ms: ms.default(300_000),
        total_ms: ms.default(1_800_000),
      }).strict().prefault({}),
      max_response_bytes: z.number().int().positive().default(64 * 1024 * 1024),
      max_connections: z.number().int().positive().default(4096),
    }).strict().prefault({}),
    // Several upstreams routed by model; empty: the one `upstream` above serves every model.
    upstreams: z.array(upstreamEntry).default([]),
    store: z.object({
      redis_url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').nullable().default(null),
      cluster_nodes: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).default([]),
      // The embedded store (no Redis): its directory, and when its log reaches the disk. `everysec`:
      // a killed process loses nothing, a power cut up to a second; `always`: nothing acknowledged is lost.
      data_dir: z.string().min(1).default('data'),
      fsync: z.enum(['always', 'everysec']).default('everysec'),
      /** Days of per-day usage history kept (rollups). */
      history_days: z.number().int().min(1).max(3660).default(400),
      // Redis with replicas: each settle waits (WAIT) for this many replicas to hold it, up to
      // settle_replicas_timeout_ms; one they did not confirm is journaled and replayed, so it
      // survives a failover. 0: off (replication stays asynchronous).
      settle_replicas: z.number().int().min(0).max(16).default(0),
      settle_replicas_timeout_ms: ms.max(1000).default(100),
    }).strict().prefault({}),
    admin_key: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
    enforcement: z.enum(['hard', 'soft']).default('hard'),
    fail_mode: z.enum(['closed', 'open']).default('closed'),
    limits: z.object(limitsShape).strict().default({}),
    // The calendar windows follow unless a plan or a user says otherwise.
    time_zone: timeZone.default('UTC'),
    month_anchor_day: anchorDay.default(1),
    metering: z.object({
      default_max_output_tokens: z.number().int().positive().default(16_384),
      min_output_tokens: count.default(16),
      prompt_bytes_per_token: z.number().positive().default(1),
      tokens_per_image: count.default(1600),
      tokens_per_file: count.default(10_000),
      // Provider reports needed before a model whose tokenizer Tollgate does not know is estimated
      // from calibration (until then: one token per byte of text, an upper bound).
      calibration_samples: z.number().int().positive().default(20),
      calibration_sync_ms: ms.default(5_000),
      reservation_ttl_ms: ms.default(2_100_000),
      unpriced_models: z.enum(['reject', 'allow']).default('reject'),
      prices_file: z.string().min(1).default('prices.yaml'),
    }).strict().prefault({}),
    auth: z.object({
      cache_ms: count.default(1000),
      // How often a gateway writes when its keys were last used (one store call for them all).
      key_use_flush_ms: ms.default(10_000),
      failures_per_minute: z.number().int().positive().default(20),
      // Service keys name their end user in this header (lower-cased: HTTP header names are not case-sensitive).
      end_user_header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name').transform((h) => h.toLowerCase()).default('x-tollgate-user'),
      // Also take the end user from the body's `user` / `safety_identifier` when the header is absent.
      end_user_from_body: z.boolean().default(false),
      // An end user a service key names for the first time is created with the defaults, or refused.
      auto_create_users: z.boolean().default(true),
      // Users one service key may create per minute.
      users_created_per_minute: z.number().int().positive().default(600),
      jwt: z.array(jwtIssuer).default([]),
    }).strict().prefault({}),
    // Named sets of limits; a user's plan (its own, or a JWT's plan claim) sits between the
    // defaults and the user's own overrides.
    plans: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'plan names are 1-64 of A-Za-z0-9._-'),
      z.object({ limits: z.object(limitsShape).strict().default({}), time_zone: timeZone.optional(), month_anchor_day: anchorDay.optional() }).strict()).default({}),
    journal: z.object({
      file: z.string().min(1).default('.tollgate/journal.ndjson'),
      replay_ms: ms.default(1000),
    }).strict().prefault({}),
    thresholds: z.union([fractions, z.object(thresholdsShape).strict()]).default([0.5, 0.8, 1]),
    webhooks: z.array(z.object({
      url: z.url({ protocol: /^https?$/ }),
      // The signing secret is read from this environment variable (secrets stay out of the file).
      secret_env: envName,
      events: z.array(z.enum(EVENT_TYPES)).min(1).default([...EVENT_TYPES]),
    }).strict()).default([]),
    webhook_delivery: z.object({
      timeout_ms: ms.default(10_000),
      backoff_ms: ms.default(1_000),
      max_backoff_ms: ms.default(300_000),
      poll_ms: ms.default(1_000),
    }).strict().prefault({}),
    shutdown: z.object({ drain_ms: ms.default(30_000) }).strict().prefault({}),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;

const price = z.object({
  input: z.number().nonnegative(),
  cached_input: z.number().nonnegative().optional(),
  // Writing the prompt cache (Anthropic): 5 minutes, and an hour; default the input rate.
  cache_write: z.number().nonnegative().optional(),
  cache_write_1h: z.number().nonnegative().optional(),
  output: z.number().nonnegative(),
  reasoning: z.number().nonnegative().optional(),
}).strict();

export const pricesSchema = z.object({ models: z.record(z.string().min(1), price).default({}) }).strict();
export type RawPrices = z.infer<typeof pricesSchema>;
