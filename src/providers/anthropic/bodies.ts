// What a Messages API body says about itself: `messages` and `max_tokens` are required (the
// output ceiling is never left to a default there); a user-initiated request is one whose last
// message is the user's with something other than tool results in it.
import { badRequest } from '../../core/errors.js';
import { isObj, type Obj } from '../../meter/usage.js';
import type { BodyShape } from '../provider.js';

export const messagesBody: BodyShape = {
  check(body) {
    if (!Array.isArray(body.messages)) throw badRequest("'messages' must be an array", 'messages');
    if (body.max_tokens === undefined || body.max_tokens === null) throw badRequest("'max_tokens' is required", 'max_tokens');
  },
  userInitiated(body: Obj) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) return false;
    const last: unknown = messages[messages.length - 1];
    if (!isObj(last) || last.role !== 'user') return false;
    const content = last.content;
    if (!Array.isArray(content)) return true;
    return content.some((b) => !isObj(b) || b.type !== 'tool_result');
  },
};
