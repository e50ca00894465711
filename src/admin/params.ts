// Query parameters the admin routes share, each refused with a 400 naming it.
import { badRequest } from '../core/errors.js';

export function intParam(v: string | undefined, name: string, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw badRequest(`'${name}' must be an integer from 1 to ${max}`, name);
  return n;
}
