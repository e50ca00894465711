// What a request's prompt is made of, read from the parsed body (so `\uXXXX` escapes are already
// decoded): the text a tokenizer counts, the framing tokens a chat format adds, and what images,
// audio and files cost, which is never their base64 counted as text.
//
// Framing (OpenAI's chat format, as its cookbook counts it): 3 tokens per message, 1 more for a
// `name`, 3 that prime the reply. Tools are counted from their rendering (tool-text.ts). Audio:
// 1 token per 100 bytes (OpenAI counts 10 tokens a second; this covers any bitrate from 8 kbit/s
// up). Files: `metering.tokens_per_file` each, or 1 token per 4 bytes of an inline file if more.
import type { Api } from '../../endpoints/endpoints.js';
import { imageTokens } from './image-tokens.js';
import { schemaText, toolsText } from './tool-text.js';

export interface PromptContent {
  readonly texts: string[];
  /** UTF-16 length of the texts (what the tokenizer walks). */
  chars: number;
  /** Framing, images, audio, files and prompts sent as token ids: tokens known without counting text. */
  fixed: number;
}

export interface ContentRules { readonly model: string; readonly tokensPerImage: number; readonly tokensPerFile: number }

export const PER_MESSAGE = 3;
export const REPLY_PRIMING = 3;
const PER_NAME = 1;
const PER_TOOL_CALL = 3;
const TOOLS_HEADER = '# Tools\n\n## functions\n\n';
const MAX_DEPTH = 64;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const base64Bytes = (s: string) => Math.floor(((s.length - s.indexOf(',') - 1) * 3) / 4);

export function readPromptContent(api: Api, body: Obj, rules: ContentRules): PromptContent {
  const c: PromptContent = { texts: [], chars: 0, fixed: 0 };
  const text = (s: string) => {
    if (s.length === 0) return;
    c.texts.push(s);
    c.chars += s.length;
  };
  const file = (data: string | null) => {
    c.fixed += Math.max(rules.tokensPerFile, data ? Math.ceil(base64Bytes(data) / 4) : 0);
  };

  /** Strings anywhere inside, for shapes Tollgate does not know (a data URL is never text). */
  const anyText = (v: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof v === 'string') {
      if (v.startsWith('data:')) c.fixed += rules.tokensPerImage;
      else text(v);
    } else if (Array.isArray(v)) for (const x of v) anyText(x, depth + 1);
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) if (k !== 'type') anyText(x, depth + 1);
  };

  const part = (p: unknown, depth: number): void => {
    if (typeof p === 'string') return text(p);
    if (!isObj(p)) return;
    switch (p.type) {
      case 'text': case 'input_text': case 'output_text': case 'summary_text': case 'reasoning_text':
        return text(str(p.text) ?? '');
      case 'refusal':
        return text(str(p.refusal) ?? '');
      case 'image_url': case 'input_image': {
        const img = isObj(p.image_url) ? p.image_url : p;
        const url = str(img.url) ?? str(img.image_url);
        c.fixed += imageTokens(url, str(img.detail), rules.model, rules.tokensPerImage);
        return;
      }
      case 'input_audio': {
        const data = isObj(p.input_audio) ? str(p.input_audio.data) : null;
        c.fixed += data ? Math.ceil(base64Bytes(data) / 100) + 10 : rules.tokensPerFile;
        return;
      }
      case 'image': // Anthropic's image block (base64 or URL source): never its data as text
        c.fixed += rules.tokensPerImage;
        return;
      case 'document': { // Anthropic's document block: a file, or text
        const src = isObj(p.source) ? p.source : {};
        if (typeof src.data === 'string' && src.type === 'base64') return file(src.data);
        if (typeof src.data === 'string') return text(src.data);
        return anyText(p.source, depth + 1);
      }
      case 'file': case 'input_file': {
        const f = isObj(p.file) ? p.file : p;
        text(str(f.filename) ?? '');
        return file(str(f.file_data));
      }
      default:
        return anyText(p, depth + 1);
    }
  };
  const content = (v: unknown, depth: number) => (Array.isArray(v) ? v.forEach((p) => part(p, depth + 1)) : part(v, depth));

  const toolCall = (call: unknown) => {
    if (!isObj(call)) return;
    const fn = isObj(call.function) ? call.function : call;
    text(str(fn.name) ?? '');
    text(str(fn.arguments) ?? '');
    c.fixed += PER_TOOL_CALL;
  };

  /** One chat message or Responses input item. */
  const item = (m: unknown) => {
    c.fixed += PER_MESSAGE;
    if (typeof m === 'string') return text(m);
    if (!isObj(m)) return;
    for (const [k, v] of Object.entries(m)) {
      if (k === 'content' || k === 'output' || k === 'summary') content(v, 1);
      else if (k === 'tool_calls' && Array.isArray(v)) v.forEach(toolCall);
      else if (k === 'function_call') toolCall(v);
      else if (k === 'encrypted_content') c.fixed += Math.ceil((str(v)?.length ?? 0) / 4);
      else if (k === 'type' || k === 'id' || k === 'status') continue;
      else {
        if (k === 'name') c.fixed += PER_NAME;
        anyText(v, 1);
      }
    }
  };

  const tools = (v: unknown) => {
    const t = toolsText(v);
    if (t) text(TOOLS_HEADER + t);
  };

  switch (api) {
    case 'chat': {
      c.fixed += REPLY_PRIMING;
      if (Array.isArray(body.messages)) body.messages.forEach(item);
      tools(body.tools);
      tools(body.functions);
      text(schemaText(body.response_format));
      break;
    }
    case 'responses': {
      c.fixed += REPLY_PRIMING;
      if (typeof body.instructions === 'string') item({ role: 'system', content: body.instructions });
      if (typeof body.input === 'string') item({ role: 'user', content: body.input });
      else if (Array.isArray(body.input)) body.input.forEach(item);
      tools(body.tools);
      if (isObj(body.text)) text(schemaText(body.text.format));
      break;
    }
    case 'messages': {
      // Anthropic: `system` (text or blocks), messages of content blocks, tools with input schemas.
      c.fixed += REPLY_PRIMING;
      if (body.system !== undefined) item({ role: 'system', content: body.system });
      if (Array.isArray(body.messages)) body.messages.forEach(item);
      if (body.tools !== undefined) text(TOOLS_HEADER + JSON.stringify(body.tools));
      break;
    }
    case 'completions':
    case 'embeddings': {
      const input = api === 'completions' ? body.prompt : body.input;
      const one = (v: unknown) => {
        if (typeof v === 'string') text(v);
        else if (typeof v === 'number') c.fixed += 1;
        else if (Array.isArray(v)) v.forEach(one);
      };
      one(input);
      if (api === 'completions' && typeof body.suffix === 'string') text(body.suffix);
      break;
    }
  }
  return c;
}
