// The text of a request's prompt (message contents, instructions, tool definitions), for
// counting tokens when the provider reported none. Bounded: deep or huge inputs are cut off.
const MAX_DEPTH = 12;
const MAX_CHARS = 4 * 1024 * 1024;

export function promptParts(body: Record<string, unknown>): { parts: string[]; messages: number } {
  const parts: string[] = [];
  let size = 0;
  const walk = (v: unknown, depth: number) => {
    if (size > MAX_CHARS || depth > MAX_DEPTH) return;
    if (typeof v === 'string') {
      parts.push(v);
      size += v.length;
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) if (k !== 'type' && k !== 'role' && k !== 'image_url') walk(item, depth + 1);
    }
  };
  for (const field of ['messages', 'input', 'prompt', 'instructions', 'tools', 'functions']) walk(body[field], 0);
  const messages = Array.isArray(body.messages) ? body.messages.length : Array.isArray(body.input) ? body.input.length : 1;
  return { parts, messages };
}
