// The prompt estimate against what OpenAI reports, across languages and shapes: never below the
// provider's count, at most 15 % above it. The provider's count comes from the independent
// reference (test/support/reference-count.ts), itself held to the API's own figures first.
import { afterAll, describe, expect, it } from 'vitest';
import { createCalibration } from '../../../src/plan/prompt/calibration.js';
import { createPromptEstimator } from '../../../src/plan/prompt/prompt-estimate.js';
import type { Api } from '../../../src/endpoints/endpoints.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { code, english, imageDataUrl, jsonDoc, russian, tools, type ImageFormat } from '../../support/prompt-samples.js';
import { referenceChatTokens, referenceImageTokens, referenceInputTokens } from '../../support/reference-count.js';

const store = createMemoryStore();
const calibration = createCalibration({ store, intervalMs: 60_000 });
afterAll(() => calibration.close());
const estimator = createPromptEstimator({ tokensPerImage: 1600, tokensPerFile: 10_000, bytesPerToken: 1, calibrationSamples: 20, calibration });
const estimate = async (api: Api, body: Record<string, unknown>) => (await estimator(api, body, String(body.model), true)).tokens;
const chat = (model: string, content: string, extra: Record<string, unknown> = {}) =>
  ({ model, messages: [{ role: 'system', content: 'You are a careful assistant.' }, { role: 'user', content }], ...extra });

// The OpenAI cookbook's example conversation; the API reported 124 prompt tokens for it on gpt-4o
// and gpt-4o-mini, 129 on gpt-4 and gpt-3.5-turbo ("How to count tokens with tiktoken").
const COOKBOOK = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

describe('the reference the test upstream reports from', () => {
  it("reproduces the prompt tokens OpenAI's API reported for the cookbook's example", () => {
    expect(referenceChatTokens({ model: 'gpt-4o', messages: COOKBOOK })).toBe(124);
    expect(referenceChatTokens({ model: 'gpt-4', messages: COOKBOOK })).toBe(129);
  });
});

const ratios: Array<{ name: string; ratio: number }> = [];
afterAll(() => console.log(ratios.map((r) => `${r.name.padEnd(34)} ${r.ratio.toFixed(3)}`).join('\n')));

async function expectTight(name: string, api: Api, body: Record<string, unknown>, reported: number) {
  const est = await estimate(api, body);
  const ratio = est / reported;
  ratios.push({ name, ratio });
  expect(ratio, `${name}: estimate ${est}, provider ${reported}`).toBeGreaterThanOrEqual(1);
  expect(ratio, `${name}: estimate ${est}, provider ${reported}`).toBeLessThanOrEqual(1.15);
}

describe('prompt estimate ÷ provider prompt tokens, OpenAI-family models', () => {
  const SIZES = [40, 2_000, 12_000, 60_000];
  const TEXTS: Array<[string, (n: number) => string]> = [['English', english], ['code', code], ['Russian', russian], ['JSON', jsonDoc]];
  for (const model of ['gpt-4o-mini', 'gpt-4.1', 'gpt-4-turbo']) {
    for (const [kind, make] of TEXTS) {
      it.each(SIZES)(`${model}, ${kind}, %i characters`, async (n) => {
        const body = chat(model, make(n));
        await expectTight(`${model} ${kind} ${n}`, 'chat', body, referenceChatTokens(body));
      });
    }
  }

  it('the cookbook conversation (names, several system messages)', async () => {
    await expectTight('cookbook gpt-4o', 'chat', { model: 'gpt-4o', messages: COOKBOOK }, 124);
    await expectTight('cookbook gpt-4', 'chat', { model: 'gpt-4', messages: COOKBOOK }, 129);
  });

  it.each([1, 5, 20])('tool-heavy: %i function definitions and a tool-call turn', async (n) => {
    const body = {
      model: 'gpt-4o', tools: tools(n),
      messages: [
        { role: 'user', content: english(300) },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ query: english(80), limit: 5 }) } }] },
        { role: 'tool', tool_call_id: 'call_1', content: jsonDoc(1500) },
      ],
    };
    await expectTight(`tools ${n}`, 'chat', body, referenceChatTokens(body));
  });

  it('embeddings and completions: the text, nothing added', async () => {
    const input = [english(3000), russian(2000), code(1500)];
    await expectTight('embeddings', 'embeddings', { model: 'text-embedding-3-small', input }, referenceInputTokens('text-embedding-3-small', input));
    const prompt = english(5000);
    await expectTight('completions', 'completions', { model: 'gpt-3.5-turbo-instruct', prompt }, referenceInputTokens('gpt-3.5-turbo-instruct', prompt));
  });

  it('counts the decoded text of a body that escapes non-ASCII as \\uXXXX (Python json.dumps)', async () => {
    const text = russian(8000);
    const escaped = JSON.stringify(chat('gpt-4o', text)).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(escaped.length).toBeGreaterThan(text.length * 4);
    const body = JSON.parse(escaped) as Record<string, unknown>;
    expect(await estimate('chat', body)).toBe(await estimate('chat', chat('gpt-4o', text)));
    await expectTight('escaped Russian', 'chat', body, referenceChatTokens(body));
  });
});

describe('images by their dimensions, never by their base64', () => {
  const CASES: Array<[ImageFormat, number, number, 'low' | 'high' | 'auto']> = [
    ['png', 1920, 1080, 'auto'], ['jpeg', 4032, 3024, 'high'], ['gif', 320, 240, 'auto'], ['webp', 1024, 1024, 'auto'],
    ['png', 800, 6000, 'high'], ['jpeg', 512, 512, 'low'], ['webp', 3000, 700, 'auto'],
  ];
  it.each(CASES)('%s %ix%i detail %s: within 1.1x of the formula', async (format, width, height, detail) => {
    const url = imageDataUrl(format, width, height, 450_000);
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url, detail } }] }] };
    const reported = referenceChatTokens(body, { [url]: { width, height } });
    expect(reported).toBeLessThan(2000); // the 600 KB of base64 is not text
    await expectTight(`${format} ${width}x${height} ${detail}`, 'chat', body, reported);
    expect(referenceImageTokens(width, height, detail)).toBeGreaterThanOrEqual(85);
  });

  it('a remote image, or one whose header does not parse, costs metering.tokens_per_image', async () => {
    const text = { type: 'text', text: 'hi' };
    const remote = await estimate('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: [text, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] });
    const none = await estimate('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: [text] }] });
    expect(remote - none).toBe(1600);
    const garbage = `data:image/png;base64,${Buffer.alloc(3000, 7).toString('base64')}`;
    const bad = await estimate('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: [text, { type: 'image_url', image_url: { url: garbage } }] }] });
    expect(bad - none).toBe(1600);
  });
});
