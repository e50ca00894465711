// The admin API as the CLI calls it: JSON in and out, the gateway's error message on failure.
import type { CliConfig } from './cli-config.js';

export type Json = Record<string, unknown>;
export type Api = (method: string, path: string, body?: unknown) => Promise<Json>;

/** The gateway answered with an error: exit code 1. */
export class ApiError extends Error {}
/** The gateway could not be reached: exit code 3. */
export class UnreachableError extends Error {}

export function createApi(config: CliConfig): Api {
  return async (method, path, body) => {
    let r: Response;
    try {
      r = await fetch(config.url + path, {
        method, headers: { authorization: `Bearer ${config.adminKey}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(`cannot reach ${config.url}: ${cause?.code ?? cause?.message ?? String(e)}`);
    }
    const text = await r.text();
    let json: Json = {};
    try {
      json = (text ? JSON.parse(text) : {}) as Json;
    } catch {
      throw new ApiError(`${r.status}: ${text.slice(0, 200)}`);
    }
    if (!r.ok) throw new ApiError(`${r.status}: ${((json.error as Json | undefined)?.message as string | undefined) ?? text}`);
    return json;
  };
}
