import { detectFormat, UnsupportedFileError } from '../../src/ingest/file-type.js';
import { makePdf } from '../helpers/pdf.js';

describe('detectFormat', () => {
  it('accepts each supported type whose content matches its name', () => {
    expect(detectFormat('a.md', Buffer.from('# hi'))).toBe('markdown');
    expect(detectFormat('a.TXT', Buffer.from('hi'))).toBe('text');
    expect(detectFormat('a.htm', Buffer.from('<p>hi</p>'))).toBe('html');
    expect(detectFormat('a.pdf', makePdf([['x']]))).toBe('pdf');
  });

  it.each([
    ['an unknown extension', 'a.exe', Buffer.from('MZ')],
    ['no extension', 'README', Buffer.from('hi')],
    ['a PNG named .pdf', 'a.pdf', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])],
    ['binary named .md', 'a.md', Buffer.from([0x00, 0x01, 0x02, 0x03])],
    ['invalid UTF-8 named .txt', 'a.txt', Buffer.from([0xc3, 0x28, 0xff])],
    ['a PDF named .md', 'a.md', makePdf([['x']])],
  ])('refuses %s', (_what, name, bytes) => {
    expect(() => detectFormat(name, bytes)).toThrow(UnsupportedFileError);
  });
});
