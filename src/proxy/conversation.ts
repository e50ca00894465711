// The conversation-tree headers: which conversation a request belongs to, its parent (a sub-agent
// attaching to a tree), and the budget a root sets on its first request.
import { badRequest } from '../core/errors.js';
import type { ConversationRef } from '../store/types.js';

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_BUDGET = Number.MAX_SAFE_INTEGER;

type HeaderGet = (name: string) => string | undefined;

export function readConversation(header: HeaderGet): ConversationRef | null {
  const id = header('x-conversation-id');
  const parent = header('x-parent-conversation-id');
  const budget = header('x-conversation-spend-limit-micros');
  if (id === undefined) {
    if (parent !== undefined || budget !== undefined) throw badRequest('X-Parent-Conversation-Id and X-Conversation-Spend-Limit-Micros need X-Conversation-Id', 'x-conversation-id');
    return null;
  }
  if (!ID.test(id)) throw badRequest('X-Conversation-Id must be 1-128 characters of A-Z a-z 0-9 . _ : -', 'x-conversation-id');
  if (parent !== undefined && !ID.test(parent)) throw badRequest('X-Parent-Conversation-Id must be 1-128 characters of A-Z a-z 0-9 . _ : -', 'x-parent-conversation-id');
  let budgetMicros: number | null = null;
  if (budget !== undefined) {
    const n = /^[0-9]{1,16}$/.test(budget) ? Number(budget) : NaN;
    if (!Number.isSafeInteger(n) || n <= 0 || n > MAX_BUDGET) throw badRequest('X-Conversation-Spend-Limit-Micros must be a positive integer', 'x-conversation-spend-limit-micros');
    budgetMicros = n;
  }
  return { id, parentId: parent === undefined || parent === id ? null : parent, budgetMicros };
}
