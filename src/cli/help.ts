// What `tollgate --help` and `tollgate <command> --help` print.
import { DIMENSIONS } from '../limits/vocabulary.js';

const COMMON = `Options for every command:
  --url URL          the gateway (default: $TOLLGATE_URL, else http://127.0.0.1:8080)
  --admin-key KEY    the admin key (default: $TOLLGATE_ADMIN_KEY)
  --json             print the API's JSON instead of a table
  -h, --help         this help

Exit codes:
  0  done
  1  the gateway answered with an error (the message is printed)
  2  the command was not understood (unknown command or flag, missing argument, no admin key)
  3  the gateway could not be reached`;

export const COMMANDS: Readonly<Record<string, string>> = {
  'users create': `tollgate users create <id> [--<limit-name> N ...]
  Creates a user; limits as flags, e.g. --tokens-per-day 500000 --max-parallel-requests 4.`,
  'users list': `tollgate users list [--limit N] [--cursor ID]
  Users in id order, with their own limits as columns (blank: the default).`,
  'users disable': `tollgate users disable <id>
  Refuses the user's keys until enabled again; usage and history stay.`,
  'users enable': `tollgate users enable <id>`,
  'users delete': `tollgate users delete <id>
  Deletes the user and revokes its keys.`,
  'keys create': `tollgate keys create <user> [--name NAME] [--expires-at ISO-TIME] [--<limit-name> N ...]
  Prints the new key once: keep it then. Limit flags give the key limits of its own, inside its user's.`,
  'keys list': `tollgate keys list <user>
  Keys with name, created, last used and expiry.`,
  'keys revoke': `tollgate keys revoke <key-id>`,
  'keys limits': `tollgate keys limits <key-id> name=value ...
  A key's own limits, e.g. spend_micros_per_day=5000000 (null: the key has none of that limit).`,
  'service-keys create': `tollgate service-keys create <name>
  A key for an app server: it acts for the end user each request names in X-Tollgate-User.`,
  'service-keys list': `tollgate service-keys list`,
  'limits set': `tollgate limits set <user> name=value ...
  e.g. messages_per_day=200 tokens_per_day=null (null: back to the default).`,
  usage: `tollgate usage [--window day|month] [--sort ${['spend_micros', ...DIMENSIONS.filter((d) => d !== 'spend_micros')].join('|')}|id] [--limit N]
  Usage of the current day or month per user, largest first, with limits as columns.`,
  history: `tollgate history [--user ID] [--model NAME] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
  Requests, tokens and spend per day (the whole deployment unless --user).`,
  ledger: `tollgate ledger [--user ID] [--limit N] [--from ISO-TIME] [--cursor ID] [--all]
  Ledger records, newest first (oldest first with --from). --all follows the cursor to the end:
  with --json it prints one JSON record per line, for exports of any size.`,
};

export function usage(command?: string): string {
  const one = command === undefined ? undefined : COMMANDS[command];
  if (one) return `Usage: ${one}\n\n${COMMON}\n`;
  const list = Object.values(COMMANDS).map((u) => `  ${(u.split('\n')[0] as string).replace(/^tollgate /, '')}`).join('\n');
  return `tollgate — the Tollgate admin CLI

Usage: tollgate <command> [arguments] [options]

Commands:
${list}

Run 'tollgate <command> --help' for one command.

${COMMON}
`;
}
