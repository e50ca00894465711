import { readFileSync } from 'node:fs';

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/sse/${name}`, import.meta.url), 'utf8');
}

/** The text a chat stream capture carries in its `delta.content` pieces. */
export function streamedText(name: string): string {
  let text = '';
  for (const line of fixture(name).split('\n')) {
    if (!line.startsWith('data: ') || line.includes('[DONE]')) continue;
    const chunk = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string | null } }> };
    for (const c of chunk.choices ?? []) text += c.delta?.content ?? '';
  }
  return text;
}
