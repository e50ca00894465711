// A ledger record as Redis Stream fields, and back.
//
// A record is one field, `r`: its values in one JSON array, in the order of `encodeRecord`
// (trailing values at their default left out). A field per value cost the settle script about 32k
// instructions a request more (bench/lua-cost.mjs, callgrind): each value an argument Redis reads,
// the script takes in and hands to XADD, and the stream stores. A record written by an earlier
// Tollgate, a field per value, is read as it always was. The settle script may add a field of its
// own, `fromGrants` (JSON), which is read with either.
import type { GrantSpec, LedgerRecord, Outcome } from '../types.js';

const SURROGATE = /[\ud800-\udfff]/;

/**
 * A string Redis's cjson can read back: a lone surrogate (a model name from a broken upstream)
 * becomes U+FFFD, as it always did on its way into Redis; JSON.stringify would escape it as
 * \udXXX, which cjson refuses.
 */
export const wellFormed = (s: string): string => (SURROGATE.test(s) ? Buffer.from(s, 'utf8').toString('utf8') : s);

const text = (s: string | null | undefined): string | null => (s ? wellFormed(s) : null);

/** The fields of a record: `r` and its values (see the top of this file). */
export function recordFields(r: LedgerRecord): string[] {
  const v: unknown[] = [
    wellFormed(r.requestId), r.time, wellFormed(r.user), text(r.model), text(r.conversation),
    r.promptTokens, r.completionTokens, r.cachedTokens, r.reasoningTokens, r.costMicros, r.outcome,
    r.estimated ? 1 : 0, text(r.anomaly), r.grant ?? null, r.fromGrants ?? null, text(r.reservationId),
    text(r.upstream), r.cacheWriteTokens ?? 0,
  ];
  let end = v.length;
  while (end > 11 && (v[end - 1] === null || v[end - 1] === 0)) end--;
  return ['r', JSON.stringify(end === v.length ? v : v.slice(0, end))];
}

export function recordFromFields(fields: string[]): LedgerRecord {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
  const fromGrants = f.get('fromGrants');
  const drawn = fromGrants === undefined ? {} : { fromGrants: JSON.parse(fromGrants) as LedgerRecord['fromGrants'] };
  const packed = f.get('r');
  return packed === undefined ? { ...fromNamedFields(f), ...drawn } : { ...fromValues(JSON.parse(packed) as unknown[]), ...drawn };
}

function fromValues(v: unknown[]): LedgerRecord {
  const str = (i: number) => (typeof v[i] === 'string' ? (v[i] as string) : null);
  const int = (i: number) => (typeof v[i] === 'number' ? (v[i] as number) : 0);
  const grant = v[13] as GrantSpec | null | undefined;
  const fromGrants = v[14] as LedgerRecord['fromGrants'] | undefined;
  const reservationId = str(15);
  const upstream = str(16);
  const cacheWriteTokens = int(17);
  return {
    requestId: str(0) ?? '',
    time: int(1),
    user: str(2) ?? '',
    model: str(3),
    conversation: str(4),
    promptTokens: int(5),
    completionTokens: int(6),
    cachedTokens: int(7),
    reasoningTokens: int(8),
    costMicros: int(9),
    outcome: (str(10) ?? '') as Outcome,
    estimated: v[11] === 1,
    anomaly: str(12),
    ...(grant ? { grant } : {}),
    ...(fromGrants ? { fromGrants } : {}),
    ...(reservationId !== null ? { reservationId } : {}),
    ...(upstream !== null ? { upstream } : {}),
    ...(cacheWriteTokens ? { cacheWriteTokens } : {}),
  };
}

/** A record written by an earlier Tollgate: a field per value, those at their default left out. */
function fromNamedFields(f: ReadonlyMap<string, string>): LedgerRecord {
  const str = (k: string) => f.get(k) ?? '';
  const int = (k: string) => Number(f.get(k) ?? 0);
  return {
    requestId: str('requestId'),
    time: int('time'),
    user: str('user'),
    model: str('model') || null,
    conversation: str('conversation') || null,
    promptTokens: int('promptTokens'),
    completionTokens: int('completionTokens'),
    cachedTokens: int('cachedTokens'),
    reasoningTokens: int('reasoningTokens'),
    costMicros: int('costMicros'),
    outcome: str('outcome') as Outcome,
    estimated: str('estimated') === '1',
    anomaly: str('anomaly') || null,
    ...(f.has('grant') ? { grant: JSON.parse(str('grant')) as GrantSpec } : {}),
    ...(f.has('reservationId') ? { reservationId: str('reservationId') } : {}),
    ...(f.has('upstream') ? { upstream: str('upstream') } : {}),
    ...(f.has('cacheWriteTokens') ? { cacheWriteTokens: int('cacheWriteTokens') } : {}),
  };
}
