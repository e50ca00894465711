// What an image costs in prompt tokens, by the provider's published rules for OpenAI's models:
// - tiles (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3 and unknown models): `detail: low` costs the
//   base; otherwise the image is fitted in 2048x2048, its short side scaled down to 768, and each
//   512-px tile costs `tile` on top of the base (85 + 170 per tile for gpt-4o);
// - patches (gpt-4.1-mini/nano, gpt-5-mini/nano, o4-mini): 32-px patches, at most 1,536 (the
//   image is scaled down to fit), times the model's multiplier.
// A remote image (its size unknown) or one whose header does not parse costs
// `metering.tokens_per_image`. Providers that count differently are caught by calibration.
import { bareModel } from './encodings.js';
import { imageSize, type Size } from './image-size.js';

interface Tiles { readonly kind: 'tiles'; readonly base: number; readonly tile: number }
interface Patches { readonly kind: 'patches'; readonly multiplier: number }
type Rule = Tiles | Patches;

const RULES: ReadonlyArray<readonly [RegExp, Rule]> = [
  [/^gpt-4o-mini/, { kind: 'tiles', base: 2833, tile: 5667 }],
  [/^(?:gpt-4\.1-mini|gpt-5-mini)/, { kind: 'patches', multiplier: 1.62 }],
  [/^(?:gpt-4\.1-nano|gpt-5-nano)/, { kind: 'patches', multiplier: 2.46 }],
  [/^o4-mini/, { kind: 'patches', multiplier: 1.72 }],
  [/^(?:o1|o3)/, { kind: 'tiles', base: 75, tile: 150 }],
  [/^gpt-5/, { kind: 'tiles', base: 70, tile: 140 }],
];
const DEFAULT_RULE: Tiles = { kind: 'tiles', base: 85, tile: 170 };

export function ruleFor(model: string): Rule {
  const m = bareModel(model);
  for (const [re, rule] of RULES) if (re.test(m)) return rule;
  return DEFAULT_RULE;
}

export function tileTokens(size: Size, detail: string | null, rule: Tiles): number {
  if (detail === 'low') return rule.base;
  let { width: w, height: h } = size;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shrink = Math.min(1, 768 / Math.min(w, h));
  w = Math.floor(w * shrink);
  h = Math.floor(h * shrink);
  return rule.base + rule.tile * Math.ceil(w / 512) * Math.ceil(h / 512);
}

const MAX_PATCHES = 1536;

export function patchTokens(size: Size, rule: Patches): number {
  const { width: w, height: h } = size;
  let patches = Math.ceil(w / 32) * Math.ceil(h / 32);
  if (patches > MAX_PATCHES) {
    let r = Math.sqrt((32 * 32 * MAX_PATCHES) / (w * h));
    r *= Math.min(Math.floor((w * r) / 32) / ((w * r) / 32), Math.floor((h * r) / 32) / ((h * r) / 32));
    patches = Math.min(MAX_PATCHES, Math.ceil((w * r) / 32) * Math.ceil((h * r) / 32));
  }
  return Math.ceil(patches * rule.multiplier);
}

/** Tokens for one image part: its URL (a data URL is read for its size) and `detail`. */
export function imageTokens(url: string | null, detail: string | null, model: string, fallback: number): number {
  const size = url === null ? null : imageSize(url);
  if (!size) return fallback;
  const rule = ruleFor(model);
  return rule.kind === 'tiles' ? tileTokens(size, detail, rule) : patchTokens(size, rule);
}
