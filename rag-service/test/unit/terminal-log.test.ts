import { PassThrough } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { formatLogLine, terminalLog } from '../../src/terminal-log.js';

const line = (entry: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: '2026-12-07T15:04:05.678Z', service: 'rag-service', ...entry });

describe('the log in a terminal: readable lines', () => {
  it('says time, level and message, then the other fields as key=value', () => {
    expect(
      formatLogLine(line({ msg: 'documents folder synced', indexed: 3, state: 'succeeded' }), false),
    ).toBe('15:04:05 INFO  documents folder synced  indexed=3 state=succeeded');
    expect(formatLogLine(line({ level: 40, msg: 'slow', detail: 'two words', ids: [1, 2] }), false)).toBe(
      '15:04:05 WARN  slow  detail="two words" ids=[1,2]',
    );
  });

  it('reads a finished request as method, path, status and time', () => {
    const done = line({
      msg: 'request completed',
      req: { id: 'r1', method: 'POST', url: '/api/v1/chat' },
      res: { statusCode: 200 },
      responseTime: 12,
    });
    expect(formatLogLine(done, false)).toBe('15:04:05 INFO  POST /api/v1/chat → 200 (12 ms)');
  });

  it('cuts a long value, colours warnings and errors on a colour terminal, and passes a non-JSON line', () => {
    const long = formatLogLine(line({ msg: 'm', text: 'x'.repeat(500) }), false);
    expect(long).toBe(`15:04:05 INFO  m  text=${'x'.repeat(159)}…`);
    expect(formatLogLine(line({ level: 50, msg: 'broke' }), true)).toBe(
      '\x1b[2m15:04:05\x1b[0m \x1b[31mERROR\x1b[0m broke',
    );
    expect(formatLogLine('not json\n', false)).toBe('not json');
    // A name with an escape sequence or a line break stays one visible line.
    expect(formatLogLine(line({ msg: 'read\nfile', file: 'a\u001b[2Jb' }), false)).toBe(
      '15:04:05 INFO  read\\u000afile  file=a\\u001b[2Jb',
    );
  });

  it('keeps redaction: a secret in a field never reaches the terminal', () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (b: Buffer) => (written += b.toString()));
    createLogger('info', terminalLog(out)).info({ confluence: { apiToken: 's3cret', site: 'x' } }, 'hi');
    expect(written).toContain('INFO  hi  confluence={"apiToken":"[redacted]","site":"x"}');
    expect(written).not.toContain('s3cret');
  });

  it('is JSON in production and when LOG_FORMAT=json, readable when asked, else decided by the terminal', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
