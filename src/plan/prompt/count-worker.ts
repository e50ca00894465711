// Large prompts are counted in one worker thread, off the event loop. The worker is started on
// first use, and holds the process open only while it has work; requests queue on it in order. Its
// code is a string run with `eval` so that it works the same from src/ (tests) and dist/.
import { Worker } from 'node:worker_threads';
import { ENCODING_MODULES, type Encoding } from './encodings.js';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const counters = {};
parentPort.on('message', ({ id, encoding, parts }) => {
  try {
    counters[encoding] ??= require(workerData[encoding]).countTokens;
    parentPort.postMessage({ id, counts: parts.map((p) => counters[encoding](p)) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err) });
  }
});`;

interface Pending { resolve(counts: number[]): void; reject(e: Error): void }
let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 0;

function start(): Worker {
  const w = new Worker(SOURCE, { eval: true, workerData: ENCODING_MODULES });
  w.unref();
  w.on('message', (m: { id: number; counts?: number[]; error?: string }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (!p) return;
    if (m.error !== undefined || m.counts === undefined) p.reject(new Error(`token count failed: ${m.error ?? 'no count'}`));
    else p.resolve(m.counts);
  });
  const fail = (err: Error) => {
    worker = null;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`token count worker exited (${code})`)));
  return w;
}

/** Each part's tokens, counted in the worker. */
export function countInWorker(encoding: Encoding, parts: readonly string[]): Promise<number[]> {
  worker ??= start();
  const id = ++nextId;
  const w = worker;
  return new Promise<number[]>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, encoding, parts });
  });
}
