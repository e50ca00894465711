// Width and height of an image in a data URL, read from its header without decoding pixels:
// PNG (IHDR), GIF (logical screen), WebP (VP8, VP8L, VP8X) and JPEG (the first SOFn marker, after
// whatever EXIF or ICC segments come first). Only the base64 needed is decoded: the first few
// bytes for PNG, GIF and WebP; for JPEG, the segments up to the frame header, in steps.
export interface Size { readonly width: number; readonly height: number }

const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?;base64,/i;
const JPEG_STEP = 64 * 1024; // base64 characters decoded at a time while looking for the frame header

/** The bytes [0, n) of the data URL's payload (fewer when it is shorter). */
function head(payload: string, n: number): Buffer {
  const chars = Math.ceil(n / 3) * 4;
  return Buffer.from(payload.slice(0, chars), 'base64');
}

function png(b: Buffer): Size | null {
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function gif(b: Buffer): Size | null {
  if (b.length < 10 || b.toString('latin1', 0, 4) !== 'GIF8') return null;
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

function webp(b: Buffer): Size | null {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return null;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  return null;
}

/** Frame header markers: SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(payload: string): Size | null {
  let b = head(payload, 4);
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let at = 2;
  let have = 0;
  for (;;) {
    if (at + 9 > b.length) {
      if (have * 4 >= payload.length) return null;
      have += JPEG_STEP;
      b = Buffer.from(payload.slice(0, have), 'base64');
      continue;
    }
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1] as number;
    if (marker === 0xff) { at++; continue; }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or start of scan before any frame
    if (isFrame(marker)) return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
    at += 2 + b.readUInt16BE(at + 2);
  }
}

/** The image's size, or null for a remote URL, another format, or a header that does not parse. */
export function imageSize(url: string): Size | null {
  const m = DATA_URL.exec(url.slice(0, 200));
  if (!m) return null;
  const payload = url.slice(m[0].length);
  const b = head(payload, 32);
  const size = png(b) ?? gif(b) ?? webp(b) ?? jpeg(payload);
  return size && size.width > 0 && size.height > 0 ? size : null;
}
