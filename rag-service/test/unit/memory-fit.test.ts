import { Writable } from 'node:stream';
import os from 'node:os';
import {
  embeddedPeakMb,
  indexMemoryProblem,
  memoryLimitBytes,
  SIZING,
  warnIfIndexOutgrowsMemory,
} from '../../src/store/memory-fit.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { startTestService } from '../helpers/service.js';

const GB = 1024 ** 3;

describe('what an embedded index needs in memory', () => {
  it('grows with the chunks, and with full vectors only until the index is quantised', () => {
    expect(embeddedPeakMb(0, 0)).toBe(SIZING.baseMb);
    expect(embeddedPeakMb(1_000_000, 0)).toBeGreaterThan(embeddedPeakMb(100_000, 0));
    // 50,000 vectors of 768 floats (147 MB) are held whole; 100,000 (293 MB) are past the 256 MB line.
    const flat = embeddedPeakMb(50_000, 768) - embeddedPeakMb(50_000, 0);
    // (Each total is rounded to a whole MB, so their difference is within 1 of the part's size.)
    expect(Math.abs(flat - (50_000 * 768 * 6) / 1024 ** 2)).toBeLessThanOrEqual(1);
    // The line itself: exactly 256 MB of floats is still held whole.
    const atLine = (256 * 1024 ** 2) / (768 * 4);
    expect(embeddedPeakMb(atLine, 768) - embeddedPeakMb(atLine, 0)).toBeGreaterThanOrEqual(383); // 384 MB whole
    expect(embeddedPeakMb(atLine + 1, 768) - embeddedPeakMb(atLine + 1, 0)).toBeLessThanOrEqual(7); // 6 MB of codes
    const quantised = embeddedPeakMb(100_000, 768) - embeddedPeakMb(100_000, 0);
    expect(Math.abs(quantised - (100_000 * (768 / 16 + 24)) / 1024 ** 2)).toBeLessThanOrEqual(1);
    expect(quantised).toBeLessThan(flat);
  });

  it('says nothing while the index needs at most three quarters of the limit, and why it does not fit past that', () => {
    // A size whose need is a multiple of 3 MB: three quarters of a whole-MB limit (as the service reads it)
    // can then equal it exactly, and the boundary itself is tested.
    let chunks = 1_000_000;
    while (embeddedPeakMb(chunks, 768) % 3) chunks += 1000;
    const need = embeddedPeakMb(chunks, 768);
    const exactly = (need / 0.75) * 1024 ** 2;
    expect(indexMemoryProblem(chunks, 768, exactly)).toBeUndefined();
    const problem = indexMemoryProblem(chunks, 768, exactly - 2 * 1024 ** 2);
    expect(problem).toContain(`${chunks.toLocaleString('en')} chunks (768-dimension vectors)`);
    expect(problem).toContain(`about ${need} MB at peak`);
    expect(problem).toContain('migrate-to-qdrant');
    expect(indexMemoryProblem(5_000_000, 0, 1 * GB)).toContain('(lexical only)');
  });

  it('reads the limit from the container, or else the machine', () => {
    const limit = memoryLimitBytes();
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThanOrEqual(os.totalmem());
  });

  it('warns through the log it is given, with the figures, only when the index does not fit', () => {
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => void warnings.push(args) };
    warnIfIndexOutgrowsMemory({ chunks: 1000, dimensions: 0 }, log, 8 * GB);
    expect(warnings).toEqual([]);
    warnIfIndexOutgrowsMemory({ chunks: 10_000_000, dimensions: 1536 }, log, 2 * GB);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toEqual({ chunks: 10_000_000, limitMb: 2048 });
    expect(String(warnings[0]![1])).toContain('10,000,000 chunks');
  });

  it('is checked as the service starts over its own index', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    // The same start begins loading the search indexes, before any question asks for them.
    const warmed: EmbeddedStore[] = [];
    const startWarming = Object.getOwnPropertyDescriptor(EmbeddedStore.prototype, 'startWarming')!.value as (
      this: EmbeddedStore,
    ) => void;
    EmbeddedStore.prototype.startWarming = function (this: EmbeddedStore) {
      warmed.push(this);
      startWarming.call(this);
    };
    // A machine with room, then a container too small even for the process over an empty index.
    const first = await startTestService({ LOG_LEVEL: 'warn' }, { logTo: sink, memoryLimitBytes: 8 * GB });
    await first.synced;
    expect(logged).not.toContain('the embedded index holds');
    EmbeddedStore.prototype.startWarming = startWarming;
    expect(warmed).toHaveLength(1);
    expect(warmed[0]).toBe(first.service.store);
    await first.close();
    const t = await startTestService(
      { LOG_LEVEL: 'warn' },
      { logTo: sink, memoryLimitBytes: 64 * 1024 ** 2 },
    );
    try {
      await t.synced;
      expect(logged).toContain('the embedded index holds 0 chunks (lexical only)');
      expect(logged).toContain('has 64 MB');
    } finally {
      await t.close();
    }
  });
});
