// A stream's report as the SSE meter hands it out: what was read as the events passed, and what
// is read from the kept events only when asked (sse-meter.ts keeps them).
import type { Usage } from './usage.js';

export interface StreamReport {
  readonly usage: Usage | null;
  readonly model: string | null;
  readonly outputText: string;
  readonly sawOutput: boolean;
  readonly events: number;
  readonly error: { message: string; code: string | null } | null;
  readonly done: boolean;
}

/** What a report reads only when asked: the kept events, parsed then (once). */
export interface ReportSource {
  events(): number;
  model(): string | null;
  outputText(): string;
  sawOutput(): boolean;
}

// A class, not an object literal with getters: V8 builds such a literal's accessors at run time,
// about a microsecond each, on every stream.
export class Report implements StreamReport {
  constructor(
    readonly usage: Usage | null,
    readonly error: StreamReport['error'],
    readonly done: boolean,
    private readonly source: ReportSource,
  ) {}

  get events(): number {
    return this.source.events();
  }

  get model(): string | null {
    return this.source.model();
  }

  get outputText(): string {
    return this.source.outputText();
  }

  get sawOutput(): boolean {
    return this.source.sawOutput();
  }
}
