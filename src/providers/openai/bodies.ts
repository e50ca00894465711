// What OpenAI-format request bodies say about themselves beyond the fields every endpoint shares
// (model, stream, n, the output ceiling: plan/request-body.ts): the fields each one requires, and
// whether a user (not a tool) sent it — what a message credit is charged for.
import { badRequest } from '../../core/errors.js';
import type { Obj } from '../../meter/usage.js';
import type { BodyShape } from '../provider.js';

function lastRole(items: unknown): { role: string | null; type: string | null } {
  if (!Array.isArray(items) || items.length === 0) return { role: null, type: null };
  const last: unknown = items[items.length - 1];
  if (typeof last !== 'object' || last === null) return { role: null, type: null };
  const o = last as Obj;
  return { role: typeof o.role === 'string' ? o.role : null, type: typeof o.type === 'string' ? o.type : null };
}

export const chatBody: BodyShape = {
  check(body) {
    if (!Array.isArray(body.messages)) throw badRequest("'messages' must be an array", 'messages');
  },
  userInitiated: (body) => lastRole(body.messages).role === 'user',
};

export const completionsBody: BodyShape = {
  check() {},
  userInitiated: () => true,
};

export const responsesBody: BodyShape = {
  check() {},
  userInitiated(body) {
    if (typeof body.input === 'string') return true;
    const { role, type } = lastRole(body.input);
    return role === 'user' && (type === null || type === 'message');
  },
};

export const embeddingsBody: BodyShape = {
  check(body) {
    if (body.input === undefined) throw badRequest("'input' is required", 'input');
  },
  userInitiated: () => false,
};
