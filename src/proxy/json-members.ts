// The top-level members of a JSON object's text as byte ranges, so that one field can be replaced
// while every other byte goes on as the client wrote it. Only for text JSON.parse has accepted.

export interface Member {
  /** The key, decoded (a key written with escapes is found by its meaning). */
  readonly key: string;
  /** Where `"key": value` starts, and ends (exclusive), in the text. */
  readonly start: number;
  readonly end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const opens = (b: number | undefined) => b === 0x7b || b === 0x5b;
const closes = (b: number | undefined) => b === 0x7d || b === 0x5d;

/** The index just past the string whose opening quote is at `i`. */
function pastString(raw: Buffer, i: number): number {
  for (i++; i < raw.length; i++) {
    const b = raw[i];
    if (b === BACKSLASH) i++;
    else if (b === QUOTE) return i + 1;
  }
  return raw.length;
}

/** The members of the object the text holds, in order (duplicates included), or null if it holds none. */
export function objectMembers(raw: Buffer): Member[] | null {
  let i = raw.indexOf(0x7b);
  if (i < 0) return null;
  const members: Member[] = [];
  for (i++; ; ) {
    while (isSpace(raw[i])) i++;
    if (i >= raw.length) return null;
    if (raw[i] === 0x7d) return members;
    if (raw[i] === COMMA) {
      i++;
      continue;
    }
    if (raw[i] !== QUOTE) return null;
    const start = i;
    i = pastString(raw, i);
    const key = JSON.parse(raw.toString('utf8', start, i)) as string;
    // The value runs to the ',' or '}' that ends it at this depth; `end` trails its last byte.
    let end = i;
    for (let depth = 0; i < raw.length; i++) {
      const b = raw[i];
      if (b === QUOTE) {
        i = pastString(raw, i) - 1;
        end = i + 1;
        continue;
      }
      if (depth === 0 && (b === COMMA || b === 0x7d)) break;
      if (opens(b)) depth++;
      else if (closes(b)) depth--;
      if (!isSpace(b)) end = i + 1;
    }
    members.push({ key, start, end });
  }
}
