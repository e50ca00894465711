// Where the CLI finds the admin API: flags first, then the environment (TOLLGATE_URL,
// TOLLGATE_ADMIN_KEY). The CLI's own reader of process.env, as the gateway's is config/loader.ts.
import { UsageError, type Flags } from './args.js';

export interface CliConfig {
  readonly url: string;
  readonly adminKey: string;
  readonly json: boolean;
}

export function cliConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): CliConfig {
  const url = typeof flags.url === 'string' ? flags.url : (env.TOLLGATE_URL ?? 'http://127.0.0.1:8080');
  const adminKey = typeof flags['admin-key'] === 'string' ? flags['admin-key'] : env.TOLLGATE_ADMIN_KEY;
  if (!adminKey) throw new UsageError('no admin key: pass --admin-key or set TOLLGATE_ADMIN_KEY');
  return { url: url.replace(/\/+$/, ''), adminKey, json: flags.json === true };
}
