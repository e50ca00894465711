#!/usr/bin/env node
// tollgate — the admin CLI. `tollgate --help` lists the commands; `tollgate <command> --help`
// explains one. Tables for people, --json for scripts; exit codes in help.ts.
import { createApi, UnreachableError } from './api.js';
import { parseArgs, UsageError } from './args.js';
import { cliConfig } from './cli-config.js';
import { run } from './commands.js';
import { COMMANDS, usage } from './help.js';

function commandOf(words: readonly string[]): string | undefined {
  const two = words.slice(0, 2).join(' ');
  return two in COMMANDS ? two : words[0] !== undefined && words[0] in COMMANDS ? words[0] : undefined;
}

async function main(): Promise<void> {
  const { words, flags } = parseArgs(process.argv.slice(2));
  if (words.length === 0 || words[0] === 'help' || flags.help === true) {
    process.stdout.write(usage(commandOf(words[0] === 'help' ? words.slice(1) : words)));
    return;
  }
  if (commandOf(words) === undefined) throw new UsageError(`unknown command '${words.join(' ')}'`);
  const config = cliConfig(flags);
  const out = await run(createApi(config), words, flags, (line) => process.stdout.write(`${line}\n`));
  if (out) process.stdout.write(`${config.json ? JSON.stringify(out.json, null, 2) : out.text}\n`);
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`tollgate: ${message}\n`);
  if (e instanceof UsageError) process.stderr.write("run 'tollgate --help' for usage\n");
  process.exitCode = e instanceof UsageError ? 2 : e instanceof UnreachableError ? 3 : 1;
});
