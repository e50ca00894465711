// The log's appender when the disk fails it: the calls waiting on a failed write are told, nothing
// is dropped or torn, and what it could not write goes first once the disk takes it again.
import { writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAppender, readRecords } from '../../../src/store/durable/record-file.js';
import { tempDir } from '../../support/temp-dir.js';

const tempFile = () => path.join(tempDir('tollgate-log'), 'log-1.jsonl');

describe('the log appender when a write fails', () => {
  it('a full disk (/dev/full) answers the waiting calls with ENOSPC and reports it', async () => {
    const errors: string[] = [];
    const log = openAppender('/dev/full', 'everysec', { onError: (e) => errors.push(e.message) });
    log.append({ op: 'reserve', id: 'r1' });
    await expect(log.written()).rejects.toThrow(/ENOSPC/);
    expect(errors[0]).toMatch(/ENOSPC/);
  });

  it('a write cut short keeps every record, in order and whole, once the disk takes them again', async () => {
    const file = tempFile();
    let calls = 0;
    // As the OS does when the disk fills: the first write takes 10 bytes (a record cut mid-line),
    // the next fails with ENOSPC; later ones go through.
    const write = (fd: number, buf: Buffer, offset: number, length: number): number => {
      calls++;
      if (calls === 1) return writeSync(fd, buf, offset, 10);
      if (calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return writeSync(fd, buf, offset, length);
    };
    const log = openAppender(file, 'everysec', { write });
    log.append({ op: 'reserve', id: 'a' });
    log.append({ op: 'settle', id: 'a' });
    await expect(log.written()).rejects.toThrow(/ENOSPC/);
    log.append({ op: 'reserve', id: 'b' });
    await log.written();
    log.close();
    const { records, tornBytes } = readRecords(file, false);
    expect(records).toEqual([{ op: 'reserve', id: 'a' }, { op: 'settle', id: 'a' }, { op: 'reserve', id: 'b' }]);
    expect(tornBytes).toBe(0);
  });

  it('what a failed write left is written a second later even if nothing else is appended', async () => {
    const file = tempFile();
    let failures = 1;
    const write = (fd: number, buf: Buffer, offset: number, length: number): number => {
      if (failures-- > 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return writeSync(fd, buf, offset, length);
    };
    const log = openAppender(file, 'everysec', { write });
    log.append({ op: 'reserve', id: 'a' });
    await expect(log.written()).rejects.toThrow(/ENOSPC/);
    await expect.poll(() => readRecords(file, false).records, { timeout: 5000, interval: 50 }).toEqual([{ op: 'reserve', id: 'a' }]);
    log.close();
  });
});
