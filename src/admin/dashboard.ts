// GET /admin: the dashboard page. The page itself holds no data: it asks for the admin key and
// calls the admin API with it, so serving it needs no auth. Read once, on first request.
import { readFileSync } from 'node:fs';
import type { Context } from 'hono';

let page: string | null = null;

export function dashboard(c: Context): Response {
  page ??= readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');
  return c.html(page, 200, {
    'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  });
}
