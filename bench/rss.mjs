// Resident set size of a process we started, read from /proc (Linux) without spawning anything,
// so sampling does not stall the load generator that shares this event loop.
import { readFileSync } from 'node:fs';

export function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0; // the process has exited
  }
}

/** Samples `pid` every `everyMs` until `stop()`, which returns the peak in MB. */
export function sampleRss(pid, everyMs = 100) {
  let peak = rssMb(pid);
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}
