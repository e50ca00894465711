// The dashboard in a real browser (Debian's Chromium, driven by playwright-core): log in, see a
// user turn red at its limit, edit a limit, switch to Russian, take a screenshot.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';
import { tempDir } from '../support/temp-dir.js';


describe('dashboard in Chromium', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore(), overrides: { 'auth.cache_ms': 0 } });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  it('logs in, shows a user red at its limit, edits a limit, speaks Russian', async () => {
    const key = await gw.userWithKey('dora', { messages_per_day: 2, tokens_per_day: 100_000 });
    await gw.userWithKey('eve', { messages_per_day: 50 });
    const page = await browser.newPage();
    await page.goto(`${gw.url}/admin`);
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button');
    const dora = page.locator('#usage tr[data-user="dora"]');
    await expect.poll(() => dora.textContent()).toContain('0/2 messages');
    expect(await dora.getAttribute('class')).toBe('link');

    // One the upstream fails (it costs no message, but counts as a request), then two answered.
    for (const model of ['fail:500', 'gpt-4.1-nano', 'gpt-4.1-nano']) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      await r.arrayBuffer();
    }
    await page.click('#refresh');
    await expect.poll(() => dora.getAttribute('class')).toBe('over link');
    expect(await dora.textContent()).toContain('2/2 messages');
    expect(await dora.textContent()).toContain('3/∞ requests (1 failed)');
    expect(await page.locator('#usage tr[data-user="eve"]').getAttribute('class')).toBe('link');

    expect((await gw.admin('POST', '/admin/users/dora/grants', { id: 'pack-1', dimension: 'credits', amount: 500 })).status).toBe(201);
    await dora.click();
    await expect.poll(() => page.textContent('#grants tbody')).toContain('pack-1');
    expect(await page.textContent('#grants tbody')).toContain('500 / 500');
    expect(await page.textContent('#calendar')).toContain('UTC');
    // The user's events: 50, 80 and 100 % of 2 messages (no webhook configured: nothing to deliver).
    await expect.poll(() => page.locator('#events tbody').textContent()).toContain('100 %');
    expect(await page.locator('#events tbody tr').count()).toBe(3);
    await page.fill('#limits input[name="messages_per_day"]', '10');
    await page.click('#limits button');
    await expect.poll(() => page.textContent('#saved')).toBe('Saved');
    expect((await gw.admin('GET', '/admin/users/dora')).json.limits).toMatchObject({ messages_per_day: 10 });

    await page.selectOption('#lang', 'ru');
    expect(await page.textContent('h1')).toBe('Tollgate: расход');
    await expect.poll(() => page.textContent('#limits .grid')).toContain('Сообщений в день');
    await expect.poll(() => page.locator('#limits input[name="requests_per_day"]').getAttribute('placeholder')).toContain('по умолчанию');
    // Back to the overview: dora is no longer at her limit.
    await page.click('#back');
    await expect.poll(() => dora.getAttribute('class')).toBe('link');
    expect(await dora.textContent()).toContain('2/10');
    await expect.poll(() => dora.textContent()).toContain('сообщений');
    expect(await page.textContent('#refresh')).toBe('Обновить');
    await expect.poll(() => page.textContent('#updated')).toContain('Обновлено');
    const shot = path.join(tempDir('tg-shot'), 'dashboard-ru.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    process.stdout.write(`dashboard screenshot: ${shot}\n`);
  }, 60_000);
});
