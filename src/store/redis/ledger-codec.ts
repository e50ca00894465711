// A ledger record as Redis Stream fields, and back.
import type { GrantSpec, LedgerRecord, Outcome } from '../types.js';

/**
 * The fields of a record; those at their default (an empty string, 0, not estimated) are left out:
 * recordFromFields reads them back as the default, and each field costs the settle script a value
 * to decode and Redis one to store.
 */
export function recordFields(r: LedgerRecord): string[] {
  return [
    'requestId', r.requestId, 'time', String(r.time), 'user', r.user,
    ...(r.model ? ['model', r.model] : []),
    ...(r.conversation ? ['conversation', r.conversation] : []),
    'promptTokens', String(r.promptTokens), 'completionTokens', String(r.completionTokens),
    ...(r.cachedTokens ? ['cachedTokens', String(r.cachedTokens)] : []),
    ...(r.reasoningTokens ? ['reasoningTokens', String(r.reasoningTokens)] : []),
    'costMicros', String(r.costMicros), 'outcome', r.outcome,
    ...(r.estimated ? ['estimated', '1'] : []),
    ...(r.anomaly ? ['anomaly', r.anomaly] : []),
    // Only on the records that have them (the settle script adds fromGrants itself).
    ...(r.grant ? ['grant', JSON.stringify(r.grant)] : []),
    ...(r.fromGrants ? ['fromGrants', JSON.stringify(r.fromGrants)] : []),
    ...(r.reservationId ? ['reservationId', r.reservationId] : []),
    ...(r.upstream ? ['upstream', r.upstream] : []),
    ...(r.cacheWriteTokens ? ['cacheWriteTokens', String(r.cacheWriteTokens)] : []),
  ];
}

export function recordFromFields(fields: string[]): LedgerRecord {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
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
    ...(f.has('fromGrants') ? { fromGrants: JSON.parse(str('fromGrants')) as LedgerRecord['fromGrants'] } : {}),
    ...(f.has('reservationId') ? { reservationId: str('reservationId') } : {}),
    ...(f.has('upstream') ? { upstream: str('upstream') } : {}),
    ...(f.has('cacheWriteTokens') ? { cacheWriteTokens: int('cacheWriteTokens') } : {}),
  };
}
