// An upstream error can quote back the credential it was sent ("Incorrect API key provided: sk-…"):
// before such an error reaches a client, the upstream key is taken out of its body and headers.

const REDACTED = '[redacted]';

export function redactSecret(text: string, secret: string | null): string {
  return secret && text.includes(secret) ? text.replaceAll(secret, REDACTED) : text;
}

export function redactHeaders(headers: Record<string, string>, secret: string | null): Record<string, string> {
  if (!secret) return headers;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = redactSecret(value, secret);
  return out;
}
