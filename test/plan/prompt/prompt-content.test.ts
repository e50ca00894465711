// What the prompt estimate reads from each API's body, and the image rules per model family.
import { describe, expect, it } from 'vitest';
import { imageSize } from '../../../src/plan/prompt/image-size.js';
import { imageTokens, patchTokens, tileTokens } from '../../../src/plan/prompt/image-tokens.js';
import { readPromptContent } from '../../../src/plan/prompt/prompt-content.js';
import { imageDataUrl } from '../../support/prompt-samples.js';

const rules = { model: 'gpt-4o', tokensPerImage: 1600, tokensPerFile: 10_000 };

describe('image headers', () => {
  it.each(['png', 'jpeg', 'gif', 'webp'] as const)('reads %s width and height from a data URL', (format) => {
    expect(imageSize(imageDataUrl(format, 1234, 567))).toEqual({ width: 1234, height: 567 });
  });
  it('gives up on a remote URL, another format, or a truncated header', () => {
    expect(imageSize('https://example.com/x.png')).toBeNull();
    expect(imageSize(`data:image/bmp;base64,${Buffer.from('BM not an image at all, really').toString('base64')}`)).toBeNull();
    expect(imageSize(imageDataUrl('jpeg', 800, 600).slice(0, 2000))).toBeNull(); // cut inside the EXIF segment
  });
});

describe('image rules by model family', () => {
  it("OpenAI's documented tile examples", () => {
    const gpt4o = { kind: 'tiles', base: 85, tile: 170 } as const;
    expect(tileTokens({ width: 1024, height: 1024 }, 'high', gpt4o)).toBe(765);
    expect(tileTokens({ width: 2048, height: 4096 }, 'high', gpt4o)).toBe(1105);
    expect(tileTokens({ width: 4096, height: 8192 }, 'low', gpt4o)).toBe(85);
  });
  it("OpenAI's documented patch examples (1024x1024: 1,024 patches; 1800x2400: 1,452)", () => {
    expect(patchTokens({ width: 1024, height: 1024 }, { kind: 'patches', multiplier: 1 })).toBe(1024);
    expect(patchTokens({ width: 1800, height: 2400 }, { kind: 'patches', multiplier: 1 })).toBe(1452);
  });
  it('picks the rule by model: gpt-4o-mini bills images at its own rate, the mini/nano models by patches', () => {
    const url = imageDataUrl('png', 1024, 1024);
    expect(imageTokens(url, 'high', 'gpt-4o', 1600)).toBe(765);
    expect(imageTokens(url, 'high', 'gpt-4o-mini-2024-07-18', 1600)).toBe(2833 + 4 * 5667);
    expect(imageTokens(url, 'high', 'gpt-4.1-nano', 1600)).toBe(Math.ceil(1024 * 2.46));
    expect(imageTokens(url, 'high', 'openai/gpt-4o', 1600)).toBe(765);
    expect(imageTokens('https://example.com/a.png', 'high', 'gpt-4o', 1600)).toBe(1600);
  });
});

describe('what each API contributes', () => {
  it('Responses: instructions, input items, function calls and outputs, tools and a text schema; base64 never text', () => {
    const pdf = `data:application/pdf;base64,${Buffer.alloc(80_000, 1).toString('base64')}`;
    const c = readPromptContent('responses', {
      model: 'gpt-5', instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Read this.' }, { type: 'input_file', filename: 'a.pdf', file_data: pdf }, { type: 'input_image', image_url: imageDataUrl('png', 512, 512), detail: 'high' }] },
        { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'found it' },
      ],
      tools: [{ type: 'function', name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: { q: { type: 'string' } } } }],
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
    }, { ...rules, model: 'gpt-5' });
    const all = c.texts.join('\n');
    for (const s of ['Be brief.', 'Read this.', 'a.pdf', 'lookup', '{"q":"x"}', 'found it', 'namespace functions', '"properties"']) expect(all).toContain(s);
    expect(all).not.toContain('base64');
    expect(c.chars).toBeLessThan(1000);
    // 4 items x 3 + priming 3 + 1 for the function call's name, the file (80,001 decoded bytes / 4),
    // the image (gpt-5: 70 + 140 for one tile).
    expect(c.fixed).toBe(4 * 3 + 3 + 1 + 20_001 + 210);
  });

  it('chat audio and files get allowances; completions and embeddings accept token ids', () => {
    const audio = Buffer.alloc(48_000, 2).toString('base64');
    const chat = readPromptContent('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: audio, format: 'wav' } }, { type: 'file', file: { file_id: 'file-1' } }] }] }, rules);
    expect(chat.fixed).toBe(3 + 3 + (Math.ceil(48_000 / 100) + 10) + 10_000);
    expect(readPromptContent('embeddings', { model: 'text-embedding-3-small', input: [[1, 2, 3], [4, 5]] }, rules).fixed).toBe(5);
    const comp = readPromptContent('completions', { model: 'gpt-3.5-turbo-instruct', prompt: ['a', 'b'], suffix: 'c' }, rules);
    expect(comp.texts).toEqual(['a', 'b', 'c']);
    expect(comp.fixed).toBe(0);
  });
});
