import { csvField } from '../../src/http/csv.js';

describe('a CSV field of the questions export', () => {
  it('makes inert what a spreadsheet could run: = + - @ first, after spaces or line breaks, full-width too', () => {
    for (const cell of [
      '=1+1',
      '+1',
      '-1',
      '@SUM(A1)',
      ' =1+1',
      '   @cmd',
      '\n=HYPERLINK("x")',
      '\r\n+1',
      '\u3000=1', // an ideographic space, then =
      '＝1+1',
      '＋1',
      '－1',
      '＠SUM(A1)',
      ' ＝1',
      '\tplain', // a leading tab or line break, whatever follows
      '\rplain',
      '\nplain',
    ]) {
      expect(csvField(cell)).toBe(`"'${cell.replaceAll('"', '""')}"`);
    }
  });

  it('leaves any other cell as it is, quoted, its quotes doubled', () => {
    expect(csvField('How do I use "=" in a filter?')).toBe('"How do I use ""="" in a filter?"');
    expect(csvField(' How much is 1+1?')).toBe('" How much is 1+1?"');
    expect(csvField('a - b')).toBe('"a - b"');
    expect(csvField(null)).toBe('""');
    expect(csvField(false)).toBe('"false"');
  });
});
