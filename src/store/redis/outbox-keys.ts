// Where the events of a user are kept on Redis. A script may only touch keys of one Cluster slot,
// so reserve and settle write a user's events to the outbox stream of the user's own slot:
// `tg:{o:<n>}:outbox`, where `o:<n>` is the first tag of that form that hashes to the slot. There
// are at most 16,384 such streams; the delivery side finds them through a set of their names
// (`tg:outbox:streams`, added to when a script reports an event) and, for a name lost in a crash
// between the two, a SCAN of every master (outbox.ts).
import { KEY_VERSION } from '../keys.js';

const SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

const ASCII = /^[\x00-\x7f]*$/;

/** Redis Cluster's slot of a hash tag's content (CRC16/XMODEM of its UTF-8 bytes, mod 16384). */
export function slotOf(tag: string): number {
  let crc = 0;
  const step = (byte: number) => {
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  };
  // ASCII (every tag of ours, most user ids) is hashed from its char codes: no buffer per call.
  if (ASCII.test(tag)) for (let i = 0; i < tag.length; i++) step(tag.charCodeAt(i));
  else for (const byte of Buffer.from(tag, 'utf8')) step(byte);
  return crc % SLOTS;
}

let tags: string[] | null = null;

/** For each slot, the first `o:<n>` tag that hashes to it (about 170,000 hashes, a few ms, once: the store makes it at start). */
export function slotTags(): string[] {
  if (tags) return tags;
  const found: string[] = new Array<string>(SLOTS);
  let left = SLOTS;
  for (let n = 0; left > 0; n++) {
    const tag = `o:${n}`;
    const slot = slotOf(tag);
    if (found[slot] === undefined) {
      found[slot] = tag;
      left--;
    }
  }
  tags = found;
  return found;
}

export const OUTBOX_STREAMS = `${KEY_VERSION}:outbox:streams`;
/** Webhook id → when it was first subscribed (ms, Redis TIME): its consumer groups start there. */
export const OUTBOX_WEBHOOKS = `${KEY_VERSION}:outbox:webhooks`;
export const OUTBOX_PATTERN = `${KEY_VERSION}:{o:*}:outbox`;

const outboxKeys = new Map<string, string>();
/** Users whose outbox key is kept (reserve and settle ask for it each: a CRC16 of the id each time otherwise). */
const OUTBOX_KEYS_KEPT = 10_000;

/** The outbox stream in the same slot as the user's keys (`userPrefix`, whose hash tag is `{u:<id>}`). */
export function outboxKey(userId: string): string {
  let key = outboxKeys.get(userId);
  if (key === undefined) {
    if (outboxKeys.size >= OUTBOX_KEYS_KEPT) outboxKeys.clear();
    key = `${KEY_VERSION}:{${slotTags()[slotOf(`u:${userId}`)] as string}}:outbox`;
    outboxKeys.set(userId, key);
  }
  return key;
}

/** Delivery state of a stream's events, per webhook (same slot as the stream). */
export const deliveryStateKey = (stream: string): string => `${stream}:state`;
