// JWT bearer tokens from a trusted issuer, its key set served by a real JWKS endpoint on
// 127.0.0.1: a valid token is its user's, metered exactly like a key user (on both stores); an
// expired, wrongly signed, wrong-audience or untrusted token gets 401 with a message that says which.
import OpenAI from 'openai';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite, startE2e, type QuotaAnswer } from '../support/e2e.js';
import { startJwksServer, type JwksServer, type TestKey } from '../support/jwks-server.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const ISS = 'https://id.example.test/';
const AUD = 'tollgate';
const HI = [{ role: 'user' as const, content: 'hi' }];

describe.each(STORES)('JWT users (%s store)', (_name, makeStore) => {
  let idp: JwksServer;
  let key: TestKey;
  let staticKey: TestKey;

  beforeAll(async () => {
    idp = await startJwksServer();
    key = await idp.addKey('k1');
    staticKey = await idp.addKey('static', 'ES256');
  });
  const gw = e2eSuite(async () => ({
    store: makeStore(),
    overrides: {
      limits: { requests_per_day: 2, tokens_per_day: 100_000 },
      plans: { pro: { limits: { requests_per_day: 5 } } },
      'auth.jwt': [
        { issuer: ISS, audience: AUD, jwks_url: idp.url, plan_claim: 'plan', jwks_cooldown_ms: 0 },
        { issuer: 'static-issuer', audience: AUD, public_key: await idp.pem(staticKey), user_claim: 'uid' },
      ],
    },
  }));
  afterAll(async () => idp.close());

  const quota = async (token: string, extra: Record<string, string> = {}) => {
    const q = await gw.quota(token, extra);
    return { status: q.status, body: q };
  };
  const requestsUsed = (b: QuotaAnswer) => b.limits?.find((l) => l.dimension === 'requests' && l.window === 'day');

  it('meters a JWT user like a key user: limits, headers, ledger, quota', async () => {
    const sub = uniqueId('jwt-user');
    const token = await idp.sign(key, { iss: ISS, aud: AUD, sub });
    const client = gw.openai(token);
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).withResponse();
    expect(data.usage?.total_tokens).toBe(379);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    const err = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const q = await quota(token);
    expect(q.body.user).toBe(sub);
    expect(requestsUsed(q.body)).toMatchObject({ used: 2, limit: 2 });
    const ledger = await gw.admin('GET', `/admin/ledger?user=${sub}`);
    expect((ledger.json.records as unknown[]).length).toBe(2);
  });

  it('a plan claim supplies the defaults; the user\'s own limit still wins', async () => {
    const sub = uniqueId('pro-user');
    const pro = await idp.sign(key, { iss: ISS, aud: AUD, sub, plan: 'pro' });
    expect(requestsUsed((await quota(pro)).body)?.limit).toBe(5);
    expect((await gw.admin('PATCH', `/admin/users/${sub}`, { limits: { requests_per_day: 9 } })).status).toBe(200);
    expect(requestsUsed((await quota(pro)).body)?.limit).toBe(9);
    // An unknown plan grants nothing beyond the defaults.
    const odd = await idp.sign(key, { iss: ISS, aud: AUD, sub: uniqueId('odd'), plan: 'platinum' });
    expect(requestsUsed((await quota(odd)).body)?.limit).toBe(2);
  });

  it('refuses expired, wrongly signed, wrong-audience, untrusted and symmetric tokens with 401 and a clear message', async () => {
    const sub = uniqueId('bad');
    // The same kid, a key the issuer never published: the signature cannot verify.
    const stranger: TestKey = { kid: 'k1', alg: 'RS256', ...(await generateKeyPair('RS256')) };
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['expired', idp.sign(key, { iss: ISS, aud: AUD, sub }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      ['forged', idp.sign(stranger, { iss: ISS, aud: AUD, sub }), /signature/],
      ['audience', idp.sign(key, { iss: ISS, aud: 'someone-else', sub }), /audience/],
      ['issuer', idp.sign(key, { iss: 'https://evil.test/', aud: AUD, sub }), /issuer .* not trusted/],
      ['hs256', new SignJWT({ iss: ISS, aud: AUD, sub }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setExpirationTime('1h').sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!')), /algorithm/],
      ['no user', idp.sign(key, { iss: ISS, aud: AUD, sub: 'not a valid id' }), /'sub' claim/],
    ];
    for (const [label, token, message] of cases) {
      const r = await quota(await token);
      expect(r.status, label).toBe(401);
      expect(r.body.error?.code, label).toBe('invalid_token');
      expect(r.body.error?.message, label).toMatch(message);
    }
    expect((await gw.admin('GET', `/admin/users/${sub}`)).status).toBe(404);
  });

  it('fetches a key it does not know yet (key rotation) and otherwise answers from the cached key set', async () => {
    const before = idp.fetches();
    const rotated = await idp.addKey(`k-${uniqueId('rot')}`, 'ES256');
    const token = await idp.sign(rotated, { iss: ISS, aud: AUD, sub: uniqueId('rotated') });
    expect((await quota(token)).status).toBe(200);
    const after = idp.fetches();
    expect(after).toBe(before + 1);
    for (let i = 0; i < 3; i++) expect((await quota(token)).status).toBe(200);
    expect(idp.fetches()).toBe(after);
  });

  it('accepts a static public key issuer with its own user claim', async () => {
    const uid = uniqueId('static');
    const r = await quota(await idp.sign(staticKey, { iss: 'static-issuer', aud: AUD, uid }));
    expect(r.status).toBe(200);
    expect(r.body.user).toBe(uid);
  });

  it('an address blocked for bad keys still gets its valid tokens verified', async () => {
    const strict = await startE2e({ store: makeStore(), overrides: { 'auth.failures_per_minute': 1,
      'auth.jwt': [{ issuer: ISS, audience: AUD, jwks_url: idp.url }] } });
    const ask = (token: string) => fetch(`${strict.url}/v1/quota`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await ask('tg-wrong-1')).toBe(401);
    expect(await ask('tg-wrong-2')).toBe(429);
    expect(await ask(await idp.sign(key, { iss: ISS, aud: AUD, sub: uniqueId('natted') }))).toBe(200);
    await strict.close();
  });

  it('a JWT user cannot name an end user', async () => {
    const token = await idp.sign(key, { iss: ISS, aud: AUD, sub: uniqueId('plain') });
    const r = await quota(token, { 'x-tollgate-user': 'someone-else' });
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe('end_user_not_allowed');
  });
});
