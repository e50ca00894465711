// Splits argv into positional words and --flags (`--name value`, `--name=value`, or a bare `--json`).
const BARE = new Set(['json', 'help']);

export function parseArgs(argv: readonly string[]): { words: string[]; flags: Record<string, string | true> } {
  const words: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      words.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) flags[name] = inline;
    else if (BARE.has(name) || i + 1 >= argv.length || (argv[i + 1] as string).startsWith('--')) flags[name] = true;
    else flags[name] = argv[++i] as string;
  }
  return { words, flags };
}
