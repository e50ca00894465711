// The dashboard's history and user management in a real browser (Debian's Chromium, driven by
// playwright-core): a chart that shows requests just made, creating and disabling a user, the
// Russian strings, and screenshots at a phone's width (390 px) and a laptop's (1280 px), written
// to test-results/screenshots/ (gitignored) and named in the output.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const SHOTS = path.resolve('test-results/screenshots');

describe('dashboard history and users in Chromium', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore(), overrides: { 'auth.cache_ms': 0 } });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  const chat = (key: string) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }) }).then(async (r) => (await r.arrayBuffer(), r.status));
  const login = async (page: Page) => {
    await page.goto(`${gw.url}/admin`);
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button');
    await page.waitForSelector('#usage');
  };
  const today = () => new Date().toISOString().slice(0, 10);

  it('creates a user, charts the requests just made, disables the user, speaks Russian, and fits 390 and 1280 px', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => void d.accept());
    await login(page);
    await page.fill('#newid', 'nora');
    await page.click('#newuser button');
    const nora = page.locator('#usage tr[data-user="nora"]');
    await expect.poll(() => nora.count()).toBe(1);
    expect((await gw.admin('GET', '/admin/users/nora')).status).toBe(200);

    const key = (await gw.admin('POST', '/admin/users/nora/keys', {})).json.key as string;
    const bar = page.locator(`#chart rect[data-date="${today()}"]`);
    const before = Number(await bar.getAttribute('data-value'));
    for (let i = 0; i < 2; i++) expect(await chat(key)).toBe(200);
    await expect.poll(async () => ((await gw.admin('GET', '/admin/usage/history?user=nora')).json.days as unknown[]).length).toBe(1);
    await page.click('#refresh');
    await expect.poll(async () => Number(await bar.getAttribute('data-value'))).toBe(before + 2 * 147);
    await page.selectOption('#metric', 'tokens');
    await expect.poll(async () => Number(await bar.getAttribute('data-value'))).toBeGreaterThanOrEqual(2 * 379);
    await expect.poll(() => page.textContent('#topmodels')).toContain('gpt-4.1-nano-2025-04-14');
    await expect.poll(() => page.textContent('#topusers')).toContain('nora');

    await nora.click();
    const userBar = page.locator(`#uchart rect[data-date="${today()}"]`);
    await expect.poll(async () => Number(await userBar.getAttribute('data-value'))).toBe(2 * 379);
    expect(await page.textContent('#disable')).toBe('Disable');
    await page.click('#disable');
    await expect.poll(() => page.textContent('#ustate')).toBe('(disabled)');
    expect((await gw.admin('GET', '/admin/users/nora')).json.disabled).toBe(true);
    expect(await chat(key)).not.toBe(200);

    const wide = path.join(SHOTS, 'dashboard-1280.png');
    await page.screenshot({ path: wide, fullPage: true });
    await page.selectOption('#lang', 'ru');
    await expect.poll(() => page.textContent('#disable')).toBe('Включить');
    expect(await page.textContent('#newuser button')).toBe('Создать пользователя');
    expect(await page.textContent('#top')).toContain('Главные модели');
    expect(await page.textContent('#charts strong')).toBe('По дням, последние 30 дней');

    await page.click('#back');
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing wider than the phone: the page scrolls down, never sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect((await page.locator('#chart').boundingBox())?.width).toBeLessThanOrEqual(390);
    const narrow = path.join(SHOTS, 'dashboard-390-ru.png');
    await page.screenshot({ path: narrow, fullPage: true });
    expect(existsSync(wide) && existsSync(narrow)).toBe(true);
    process.stdout.write(`dashboard screenshots: ${wide} ${narrow}\n`);

    await nora.click();
    await page.click('#deluser');
    await expect.poll(() => nora.count()).toBe(0);
    expect((await gw.admin('GET', '/admin/users/nora')).status).toBe(404);
  }, 60_000);
});
