// Admin input checks: every problem names its field, and nothing is applied unless all pass.
import { ALL_LIMIT_FIELDS } from '../limits/vocabulary.js';
import { badRequest } from '../core/errors.js';
import { USER_ID, USER_ID_RULE } from '../auth/user-id.js';
import { isTimeZone } from '../limits/zone-table.js';

const KNOWN = new Set(ALL_LIMIT_FIELDS);

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

export function onlyFields(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw badRequest(`unknown field '${where}${k}'`, `${where}${k}`);
}

/** A limits object: known names only, each a non-negative integer or null. */
export function parseLimits(value: unknown, where = 'limits'): Record<string, number | null> {
  if (value === undefined) return {};
  const o = asObject(value, `'${where}'`);
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!KNOWN.has(k)) throw badRequest(`unknown limit '${where}.${k}'; known limits: ${ALL_LIMIT_FIELDS.join(', ')}`, `${where}.${k}`);
    if (v !== null && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
      throw badRequest(`'${where}.${k}' must be a non-negative integer or null`, `${where}.${k}`);
    }
    out[k] = v as number | null;
  }
  return out;
}

/**
 * A key's own limits: the user limit names, except max_parallel_requests (requests in flight are
 * counted per user; a key's share of them is not tracked).
 */
export function parseKeyLimits(value: unknown): Record<string, number | null> {
  const limits = parseLimits(value);
  if (limits.max_parallel_requests !== undefined) throw badRequest("'limits.max_parallel_requests' is a user limit; a key cannot have its own", 'limits.max_parallel_requests');
  return limits;
}

export function parseUserId(value: unknown, param = 'id'): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) throw badRequest(`'${param}' must be ${USER_ID_RULE}`, param);
  return value;
}

export function parseModels(value: unknown): string[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value) || !value.every((m) => typeof m === 'string' && m.length > 0 && m.length <= 256)) {
    throw badRequest("'allowed_models' must be an array of model names or null", 'allowed_models');
  }
  return value as string[];
}

/** `time_zone`: an IANA zone, or null for the plan's or the default. */
export function parseTimeZone(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || value.length > 64 || !isTimeZone(value)) throw badRequest("'time_zone' must be an IANA time zone such as Europe/Moscow, or null", 'time_zone');
  return value;
}

/** `month_anchor_day`: 1-31 (past a month's end, its last day), or null for the plan's or the default. */
export function parseAnchorDay(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 31)) throw badRequest("'month_anchor_day' must be an integer from 1 to 31, or null", 'month_anchor_day');
  return value;
}
