// CPU time, read from /proc (Linux): per process we care about, and for the whole machine, so a
// run can say how much CPU each request cost the gateway (and Redis), and how much of the machine
// other work (not this benchmark's processes) took meanwhile — these machines are shared.
import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of `pid` in ms, or NaN once it has gone. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // fields 14 and 15 of stat(5)
  } catch {
    return NaN;
  }
}

function machineBusyMs() {
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

/** Starts measuring; `stop()` gives each pid's CPU ms and the share of the machine others used. */
export function cpuMeter(pids) {
  const start = Date.now();
  const self = process.cpuUsage();
  const busy = machineBusyMs();
  const before = Object.fromEntries(pids.map((p) => [p, processCpuMs(p)]));
  return {
    stop() {
      const wallMs = Date.now() - start;
      const perPid = Object.fromEntries(pids.map((p) => [p, processCpuMs(p) - before[p]]));
      const { user, system } = process.cpuUsage(self);
      const ours = (user + system) / 1000 + Object.values(perPid).reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0);
      const others = Math.max(0, machineBusyMs() - busy - ours);
      return { perPid, wallMs, backgroundPct: (100 * others) / (wallMs * os.cpus().length) };
    },
  };
}
