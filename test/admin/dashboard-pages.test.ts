// The dashboard's pages in a real browser (Debian's Chromium, driven by playwright-core): a key's
// last use moving after a request (a user's key and a service key), the period's top users and models, a model's own chart, tables
// loaded page by page with the API's `next` cursor, every string in Russian too, and screenshots of
// both pages at 390 and 1280 px, written to test-results/screenshots/ (gitignored) and named in
// the output.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const SHOTS = path.resolve('test-results/screenshots');

describe('dashboard pages in Chromium', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const usageCalls: string[] = [];

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore() });
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => void d.accept());
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/admin/usage') usageCalls.push(new URL(r.url()).search);
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  // The test upstream answers JSON with a gpt-4.1-nano capture, streams with a gpt-4o-mini one.
  const chat = async (key: string, stream = false) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: stream ? 'gpt-4o-mini' : 'gpt-4.1-nano', stream, messages: [{ role: 'user', content: 'hi' }] }) });
    await r.arrayBuffer();
    expect(r.status).toBe(200);
  };
  const rows = (table: string) => page.locator(`${table} tbody tr`);
  const shoot = async (name: string) => {
    const file = path.join(SHOTS, name);
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    return file;
  };

  it('shows a key\'s name, created, expiry and own limits, and its last use moving after each request', async () => {
    await gw.admin('POST', '/admin/users', { id: 'kai' });
    const made = (await gw.admin('POST', '/admin/users/kai/keys', { name: 'laptop', expires_at: '2099-01-01T00:00:00Z', limits: { requests_per_day: 500 } })).json;
    await page.goto(`${gw.url}/admin`);
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button');
    await page.locator('#usage tr[data-user="kai"]').click();
    const row = page.locator(`#keys tr[data-key="${made.keyId as string}"]`);
    const lastUsed = row.locator('td.lastused');
    await expect.poll(() => lastUsed.textContent()).toBe('never used');
    expect(await lastUsed.getAttribute('data-last-used')).toBe('');
    expect(await row.locator('td').first().textContent()).toBe('laptop');
    expect(await row.textContent()).toContain('2099');
    expect(await row.locator('.klimits').inputValue()).toBe('requests_per_day=500');

    await chat(made.key as string);
    await page.click('#refresh');
    await expect.poll(() => lastUsed.getAttribute('data-last-used')).not.toBe('');
    const first = Date.parse((await lastUsed.getAttribute('data-last-used')) as string);
    expect(await lastUsed.textContent()).not.toBe('never used');
    await new Promise((r) => setTimeout(r, 20));
    await chat(made.key as string);
    await page.click('#refresh');
    await expect.poll(async () => Date.parse((await lastUsed.getAttribute('data-last-used')) as string)).toBeGreaterThan(first);

    // A key made from the page, with a name, is listed never used.
    await page.fill('#keyname', 'ci-runner');
    await page.click('#newkey');
    await expect.poll(() => page.textContent('#shownkey')).toContain('tg-');
    await expect.poll(() => rows('#keys').count()).toBe(2);
    expect(await page.locator('#keys tr', { hasText: 'ci-runner' }).locator('td.lastused').textContent()).toBe('never used');
  }, 60_000);

  it('pages the usage table and a user\'s requests with the next cursor, never asking for everything', async () => {
    // The page refreshes itself every 30 s; on a slow run that would ask for the first page again
    // between the calls counted here.
    await page.evaluate('clearInterval(timer)');
    for (let i = 0; i < 60; i++) expect((await gw.admin('POST', '/admin/users', { id: `bulk-${String(i).padStart(3, '0')}` })).status).toBe(201);
    const key = (await gw.admin('POST', '/admin/users/kai/keys', {})).json.key as string;
    for (let i = 0; i < 20; i++) await chat(key);
    await page.click('#back');
    usageCalls.length = 0;
    await page.click('#refresh');
    await expect.poll(() => rows('#usage').count()).toBe(50);
    expect(await page.textContent('#shown')).toBe('50 shown');
    await page.click('#more');
    await expect.poll(() => rows('#usage').count()).toBe(61);
    expect(await page.isVisible('#more')).toBe(false);
    // The first page, then the next from its cursor. The first page may be asked for twice: the
    // refresh that going back starts can land after the count starts (seen on loaded runs).
    const pages = usageCalls.filter((q) => q.includes('sort=id'));
    expect(pages[0]).not.toContain('cursor=');
    expect(pages.filter((q) => q.includes('cursor='))).toEqual([expect.stringContaining('cursor=bulk-049')]);
    expect(usageCalls.every((q) => /limit=(5|50)\b/.test(q))).toBe(true);

    // Sorted by spend, the table pages the usage index: only users with usage, largest first.
    await page.click('#usage th[data-sort="spend_micros"]');
    await expect.poll(() => rows('#usage').count()).toBe(1);
    expect(await page.getAttribute('#usage th[data-sort="spend_micros"]', 'data-dir')).toBe('desc');
    expect(await page.textContent('#shown')).toBe('1 of 1 shown');

    await page.locator('#usage tr[data-user="kai"]').click();
    await expect.poll(() => rows('#ledger').count()).toBe(20);
    await page.click('#ledgermore');
    await expect.poll(() => rows('#ledger').count()).toBe(22);
    expect(await page.isVisible('#ledgermore')).toBe(false);
    await page.click('#back');
    await page.click('#usage th[data-sort="id"]');
    await expect.poll(() => rows('#usage').count()).toBe(50);

    // Service keys are listed on the overview, with their last use too.
    const svc = (await gw.admin('POST', '/admin/service-keys', { name: 'chat-app' })).json;
    const r = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${svc.key as string}`, 'x-tollgate-user': 'bulk-000' } });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    await page.click('#refresh');
    const svcRow = page.locator(`#servicekeys tr[data-key="${svc.keyId as string}"]`);
    await expect.poll(() => svcRow.locator('td.lastused').getAttribute('data-last-used')).toMatch(/^\d{4}-/);
    expect(await svcRow.locator('td').first().textContent()).toBe('chat-app');
  }, 60_000);

  it('ranks the period\'s top users and models, charts one model, and charts a user on their page', async () => {
    const key = await gw.userWithKey('lea');
    for (let i = 0; i < 10; i++) await chat(key, true);
    await page.click('#refresh');
    await page.selectOption('#metric', 'tokens');
    await expect.poll(async () => (await rows('#topusers').allTextContents()).map((t) => t.replace(/[\d.K$]+$/, ''))).toEqual(['kai', 'lea']);
    const models = await rows('#topmodels').allTextContents();
    expect(models[0]).toContain('gpt-4.1-nano');
    expect(models[1]).toContain('gpt-4o-mini');
    expect(await page.textContent('#top .period')).toBe('(today)');
    await page.selectOption('#window', 'month');
    await expect.poll(() => page.textContent('#top .period')).toBe('(this month)');

    const today = new Date().toISOString().slice(0, 10);
    const bar = page.locator(`#chart rect[data-date="${today}"]`);
    const all = Number(await bar.getAttribute('data-value'));
    await rows('#topmodels').filter({ hasText: 'gpt-4o-mini' }).click();
    await expect.poll(() => page.textContent('#chartof')).toContain('gpt-4o-mini');
    await expect.poll(async () => Number(await bar.getAttribute('data-value'))).toBeLessThan(all);
    const onlyMini = Number(await bar.getAttribute('data-value'));
    expect(onlyMini).toBeGreaterThan(0);
    await rows('#topmodels').filter({ hasText: 'gpt-4o-mini' }).click();
    await expect.poll(() => page.textContent('#chartof')).toBe('all models');

    await rows('#topusers').filter({ hasText: 'lea' }).click();
    await expect.poll(() => page.textContent('#uid')).toBe('lea');
    const userBar = page.locator(`#uchart rect[data-date="${today}"]`);
    await expect.poll(async () => Number(await userBar.getAttribute('data-value'))).toBe(onlyMini);
    expect(page.url()).toContain('#user=lea');
    // A request's few micro-dollars keep their digits.
    await expect.poll(() => rows('#ledger').first().locator('td').nth(3).textContent()).toMatch(/^\$0\.0000[1-9]\d$/);
    // The page's address opens it again after a reload.
    await page.reload();
    await expect.poll(() => page.textContent('#uid')).toBe('lea');
    expect(await page.isVisible('#overview')).toBe(false);
  }, 60_000);

  it('has every string in Russian, and fits a phone (390 px) and a laptop (1280 px): screenshots of both pages', async () => {
    // The page's strings (a top-level const of its scripts, so evaluated by name).
    const keys = await page.evaluate('({ en: Object.keys(T.en).sort(), ru: Object.keys(T.ru).sort() })') as { en: string[]; ru: string[] };
    expect(keys.ru).toEqual(keys.en);
    const shots = [await shoot('dashboard-user-1280.png')];
    await page.selectOption('#lang', 'ru');
    await expect.poll(() => page.textContent('#keys thead')).toContain('Последнее использование');
    // Nothing on either page shows a string's key in place of its words.
    const untranslated = () => page.evaluate("[...document.querySelectorAll('[data-t]')].filter((el) => el.textContent !== T.ru[el.dataset.t]).map((el) => el.dataset.t)");
    expect(await untranslated()).toEqual([]);
    expect(await page.textContent('#back')).toBe('← Все пользователи');
    // Texts the page fills in (rather than labels) change once it has refreshed in the new language.
    await expect.poll(() => page.textContent('#utotal')).toContain('за 30 дней');
    await expect.poll(() => page.locator('#keys td.lastused').first().textContent()).toMatch(/назад|сейчас/);
    expect(await page.getAttribute('#keyname', 'placeholder')).toBe('Название нового ключа (необязательно)');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    shots.push(await shoot('dashboard-user-390-ru.png'));

    await page.click('#back');
    await expect.poll(() => page.isVisible('#overview')).toBe(true);
    await expect.poll(() => page.textContent('#top')).toContain('Главные пользователи');
    await expect.poll(() => page.textContent('#chartof')).toBe('все модели');
    await expect.poll(() => page.textContent('#top .period')).toBe('(сегодня)'); // the reload above reset the period to today
    expect(await page.textContent('#more')).toBe('Ещё');
    await expect.poll(() => page.textContent('#shown')).toContain('показано');
    expect(await untranslated()).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect((await page.locator('#chart').boundingBox())?.width).toBeLessThanOrEqual(390);
    shots.push(await shoot('dashboard-overview-390-ru.png'));
    await page.selectOption('#lang', 'en');
    await page.setViewportSize({ width: 1280, height: 900 });
    await expect.poll(() => page.textContent('#more')).toBe('More');
    shots.push(await shoot('dashboard-overview-1280.png'));
    process.stdout.write(`dashboard screenshots: ${shots.join(' ')}\n`);
  }, 60_000);
});
