// An identity provider for tests: a JWKS endpoint on 127.0.0.1:0 serving the public halves of the
// keys it holds, counting fetches, and a signer for tokens with any of them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface TestKey { kid: string; privateKey: CryptoKey; publicKey: CryptoKey; alg: string }

export interface JwksServer {
  readonly url: string;
  /** Times the key set was fetched. */
  fetches(): number;
  /** A new key, served from now on. */
  addKey(kid: string, alg?: string): Promise<TestKey>;
  sign(key: TestKey, claims: JWTPayload, o?: { expiresIn?: string | number; kid?: string }): Promise<string>;
  pem(key: TestKey): Promise<string>;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const keys: TestKey[] = [];
  let fetches = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      fetches++;
      const jwks = { keys: await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' }))) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    url,
    fetches: () => fetches,
    async addKey(kid, alg = 'RS256') {
      const pair = await generateKeyPair(alg, { extractable: true });
      const key = { kid, alg, ...pair };
      keys.push(key);
      return key;
    },
    sign: (key, claims, o = {}) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid }).setIssuedAt();
      return (o.expiresIn === undefined ? jwt.setExpirationTime('1h') : jwt.setExpirationTime(o.expiresIn)).sign(key.privateKey);
    },
    pem: (key) => exportSPKI(key.publicKey),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
