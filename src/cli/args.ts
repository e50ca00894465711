// The CLI's words and flags, parsed by node's util.parseArgs: every flag is declared, so a
// misspelt one is a usage error (exit 2) rather than a silently ignored value.
import { parseArgs as nodeParseArgs } from 'node:util';
import { ALL_LIMIT_FIELDS } from '../limits/vocabulary.js';

/** Limit names as flags: `--tokens-per-day 500000`. */
export const LIMIT_FLAGS: readonly string[] = ALL_LIMIT_FIELDS.map((f) => f.replaceAll('_', '-'));

const OPTIONS = {
  url: { type: 'string' }, 'admin-key': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  name: { type: 'string' }, 'expires-at': { type: 'string' }, window: { type: 'string' }, sort: { type: 'string' },
  user: { type: 'string' }, model: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' },
  from: { type: 'string' }, to: { type: 'string' }, cursor: { type: 'string' },
  ...Object.fromEntries(LIMIT_FLAGS.map((f) => [f, { type: 'string' }])),
} as const satisfies NonNullable<Parameters<typeof nodeParseArgs>[0]>['options'];

export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** A mistake in how the CLI was called: exit code 2, with the usage to fix it. */
export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): { words: string[]; flags: Flags } {
  try {
    const { values, positionals } = nodeParseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    return { words: positionals, flags: values as Flags };
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
}
