// The dashboard sets a key's own limits (Debian's Chromium, driven by playwright-core).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';


describe('dashboard: a key\'s own limits', () => {
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

  it('shows a key\'s limits and sets them', async () => {
    await gw.userWithKey('fay', { tokens_per_day: 100_000 });
    const { json: made } = await gw.admin('POST', '/admin/users/fay/keys', { name: 'laptop', limits: { requests_per_day: 2 } });
    const page = await browser.newPage();
    await page.goto(`${gw.url}/admin`);
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button');
    await page.locator('#usage tr[data-user="fay"]').click();
    const row = page.locator('#keys tbody tr', { hasText: made.keyId as string });
    await expect.poll(() => row.locator('.klimits').inputValue()).toBe('requests_per_day=2');
    await row.locator('.klimits').fill('spend_micros_per_day=5000000');
    await row.locator('.kset').click();
    await expect.poll(async () => {
      const keys = (await gw.admin('GET', '/admin/users/fay/keys')).json.keys as Array<{ keyId: string; limits: unknown }>;
      return keys.find((k) => k.keyId === made.keyId)?.limits;
    }).toEqual({ spend_micros_per_day: 5_000_000 });
  }, 60_000);
});
