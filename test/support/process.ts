// Tollgate as a real process (`node dist/main.js`), for tests that need several replicas, a
// SIGKILL or a SIGTERM. Each gets its own config file and journal; stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './global-redis.js';
import { ADMIN_KEY, UPSTREAM_KEY } from './gateway.js';
import { tempDir } from './temp-dir.js';

export interface GatewayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ProcessOptions {
  readonly upstreamUrl: string;
  readonly redisUrl?: string;
  /** Extra top-level gateway.yaml text. */
  readonly yaml?: string;
  /** Extra `metering:` settings. */
  readonly metering?: Record<string, number | string>;
  readonly env?: Record<string, string>;
}

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export async function startProcess(o: ProcessOptions): Promise<GatewayProcess> {
  const dir = tempDir('tollgate-proc');
  const config = path.join(dir, 'gateway.yaml');
  const metering = Object.entries(o.metering ?? {}).map(([k, v]) => `  ${k}: ${v}\n`).join('');
  writeFileSync(config, `metering:\n  prices_file: ${path.join(repo, 'config/prices.yaml')}\n${metering}log_level: info\n${o.yaml ?? ''}`);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', TOLLGATE_CONFIG: config,
    UPSTREAM_BASE_URL: o.upstreamUrl, UPSTREAM_API_KEY: UPSTREAM_KEY, TOLLGATE_ADMIN_KEY: ADMIN_KEY,
    TOLLGATE_JOURNAL: path.join(dir, 'journal.ndjson'), TOLLGATE_DATA_DIR: path.join(dir, 'data'), ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}), ...o.env,
  };
  const child = spawn(process.execPath, [path.join(repo, 'dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${output.join('')}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) {
      return {
        url, child, output,
        async stop(signal = 'SIGKILL') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`gateway did not answer /healthz: ${output.join('')}`);
}

export async function adminCall(url: string, method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(url + p, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return (await r.json()) as Record<string, unknown>;
}
