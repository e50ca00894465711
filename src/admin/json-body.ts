// An admin request's JSON body: an object, or {} when empty; anything else is a 400.
import type { Context } from 'hono';
import type { AppEnv } from '../app-types.js';
import { badRequest, GatewayError } from '../core/errors.js';
import { asObject } from './validate.js';

export async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return asObject(JSON.parse(text), 'request body');
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw badRequest('request body is not valid JSON', null, e);
  }
}
