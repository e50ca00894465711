// Prompts of the shapes and languages users send, made from a seed (no large fixtures): English
// prose, source code, Russian, JSON documents, tool-heavy agent turns; and images with real
// headers (PNG, JPEG, GIF, WebP) of any size, padded to a realistic base64 length.
const EN = 'the of and to in is that for it as with was on be by this are from at or an have not which but can all their more will one about been has there would other into its these some could than what time only new people may first any such also after most used system two where between over because even made each through however well back many much under years before being same those both while though three around must during without another since place since against local value'.split(' ');
const RU = 'и в не на что я с он как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между'.split(' ');

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function prose(words: string[], chars: number, r: () => number): string {
  let out = '';
  while (out.length < chars) {
    const n = 6 + Math.floor(r() * 14);
    const sentence = Array.from({ length: n }, () => words[Math.floor(r() * words.length)]).join(' ');
    out += `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}${r() < 0.2 ? ',' : '.'} ${r() < 0.1 ? '\n\n' : ''}`;
  }
  return out;
}

export const english = (chars: number, seed = 1) => prose(EN, chars, rng(seed));
export const russian = (chars: number, seed = 2) => prose(RU, chars, rng(seed));

export function code(chars: number, seed = 3): string {
  const r = rng(seed);
  const id = () => `${EN[Math.floor(r() * EN.length)]}${['Count', 'Value', 'Items', 'Id', 'State', ''][Math.floor(r() * 6)]}`;
  let out = '';
  while (out.length < chars) {
    const f = id();
    out += `export function ${f}(${id()}: number, ${id()}: string[]): Promise<${['void', 'number', 'string'][Math.floor(r() * 3)]}> {\n`
      + `  const ${id()} = await fetch(\`/api/\${${id()}}\`, { method: 'POST' });\n`
      + `  if (${id()} > ${Math.floor(r() * 1000)}) throw new Error('${id()} is too large');\n`
      + `  for (let i = 0; i < ${id()}.length; i++) ${id()}[i] += ${id()}.get(i) ?? 0; // ${EN[Math.floor(r() * EN.length)]}\n  return ${f}.length;\n}\n\n`;
  }
  return out;
}

export function jsonDoc(chars: number, seed = 4): string {
  const r = rng(seed);
  const rows = [];
  let size = 0;
  while (size < chars) {
    const row = { id: Math.floor(r() * 1e6), name: `${EN[Math.floor(r() * EN.length)]} ${EN[Math.floor(r() * EN.length)]}`, price: Math.round(r() * 10000) / 100,
      tags: [EN[Math.floor(r() * EN.length)], EN[Math.floor(r() * EN.length)]], active: r() < 0.5, created: new Date(1.7e12 + Math.floor(r() * 1e10)).toISOString() };
    rows.push(row);
    size += JSON.stringify(row).length + 8;
  }
  return JSON.stringify({ items: rows }, null, 2);
}

export function tools(count: number, seed = 5): unknown[] {
  const r = rng(seed);
  const word = () => EN[Math.floor(r() * EN.length)] as string;
  return Array.from({ length: count }, (_, i) => ({
    type: 'function',
    function: {
      name: `${word()}_${word()}_${i}`,
      description: `${prose(EN, 60 + Math.floor(r() * 120), r).trim()}`,
      parameters: {
        type: 'object',
        properties: Object.fromEntries(Array.from({ length: 1 + Math.floor(r() * 4) }, (_, j) => [`${word()}_${j}`, j % 3 === 2
          ? { type: 'string', description: prose(EN, 40, r).trim(), enum: [word(), word(), word()] }
          : { type: j % 2 ? 'number' : 'string', description: prose(EN, 30 + Math.floor(r() * 60), r).trim() }])),
        required: [],
      },
    },
  }));
}

// Image headers, built to each format's specification; the payload after them is filler.
function png(w: number, h: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b[24] = 8;
  b[25] = 6;
  return b;
}
function gif(w: number, h: number): Buffer {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b;
}
function webp(w: number, h: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(1000, 4);
  b.write('WEBPVP8X', 8, 'latin1');
  b.writeUInt32LE(10, 16);
  b.writeUIntLE(w - 1, 24, 3);
  b.writeUIntLE(h - 1, 27, 3);
  return b;
}
function jpeg(w: number, h: number): Buffer {
  // SOI, an APP1 (EXIF) segment of 20 KB that a reader must skip, then SOF0.
  const app1 = Buffer.alloc(4 + 20_000);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(20_002, 2);
  const sof = Buffer.alloc(19);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(h, 5);
  sof.writeUInt16BE(w, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof]);
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
const HEADERS: Record<ImageFormat, (w: number, h: number) => Buffer> = { png, jpeg, gif, webp };

/** A data URL of `bytes` bytes whose header says `width` x `height`. */
export function imageDataUrl(format: ImageFormat, width: number, height: number, bytes = 50_000, seed = 6): string {
  const head = HEADERS[format](width, height);
  const r = rng(seed);
  const fill = Buffer.alloc(Math.max(0, bytes - head.length));
  for (let i = 0; i < fill.length; i++) fill[i] = Math.floor(r() * 256);
  return `data:image/${format};base64,${Buffer.concat([head, fill]).toString('base64')}`;
}
