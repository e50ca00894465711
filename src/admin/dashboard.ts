// GET /admin: the dashboard page, and GET /admin/dashboard/<name>.js: its scripts (plain files in
// dashboard/, no build step). The page itself holds no data: it asks for the admin key and calls
// the admin API with it, so serving it needs no auth. Each file is read once, on first request.
import { readFileSync } from 'node:fs';
import type { Context } from 'hono';

const SCRIPTS = new Set(['pages.js', 'keys.js']);
const files = new Map<string, string>();
const read = (name: string): string => {
  let text = files.get(name);
  if (text === undefined) files.set(name, (text = readFileSync(new URL(name, import.meta.url), 'utf8')));
  return text;
};

const HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function dashboard(c: Context): Response {
  return c.html(read('./dashboard.html'), 200, HEADERS);
}

export function dashboardScript(c: Context): Response {
  const name = c.req.param('file') ?? '';
  if (!SCRIPTS.has(name)) return c.text('not found', 404);
  return c.body(read(`./dashboard/${name}`), 200, { ...HEADERS, 'content-type': 'text/javascript; charset=utf-8' });
}
