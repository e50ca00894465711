#!/usr/bin/env node
// tollgate — the admin CLI. `tollgate users create alice --tokens-per-day 500000`,
// `tollgate keys create alice`, `tollgate keys revoke <id>`, `tollgate usage --window day`,
// `tollgate limits set alice messages_per_day=200`. --json for scripts; exit 1 with one line on error.
import { parseArgs } from './args.js';
import { cliConfig } from './cli-config.js';
import { createApi, run } from './commands.js';

async function main(): Promise<void> {
  const { words, flags } = parseArgs(process.argv.slice(2));
  const config = cliConfig(flags);
  const out = await run(createApi(config), words, flags);
  process.stdout.write(`${config.json ? JSON.stringify(out.json, null, 2) : out.text}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`tollgate: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
