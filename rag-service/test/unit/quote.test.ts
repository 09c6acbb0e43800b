import { quotePassage, quoteUnits } from '../../src/chat/quote.js';

describe('quote units', () => {
  it('are whole sentences, whole list items and whole code blocks, with hand-wrapped lines joined', () => {
    const text = [
      'Uploads are refused. Uploads must be a single file,',
      'at most 10 MB, e.g. a PDF. Check the type.',
      '',
      '1. Open the admin page. Pick the source.',
      '2. Press Reindex.',
      '```yaml',
      'sources:',
      '  - files',
      '```',
      'Panel: Page chat; Where: Confluence page byline',
      'Panel: Space chat; Where: Confluence space sidebar',
    ].join('\n');
    expect(quoteUnits(text).map((u) => [u.kind, u.text])).toEqual([
      ['sentence', 'Uploads are refused.'],
      ['sentence', 'Uploads must be a single file, at most 10 MB, e.g. a PDF.'],
      ['sentence', 'Check the type.'],
      ['step', '1. Open the admin page. Pick the source.'],
      ['step', '2. Press Reindex.'],
      ['code', '```yaml\nsources:\n  - files\n```'],
      ['sentence', 'Panel: Page chat; Where: Confluence page byline'],
      ['sentence', 'Panel: Space chat; Where: Confluence space sidebar'],
    ]);
  });
});

describe('quote limits', () => {
  it('does not end a sentence at "e.g." and caps one long sentence at 700 characters, at a word', () => {
    expect(quoteUnits('Use a format, e.g. PDF files. Then upload it.').map((u) => u.text)).toEqual([
      'Use a format, e.g. PDF files.',
      'Then upload it.',
    ]);
    const long = `Rotate tokens ${'monthly and carefully '.repeat(60)}done.`;
    const quote = quotePassage(long, 'rotate tokens');
    expect(quote.prose.length).toBeLessThanOrEqual(701);
    expect(quote.prose.endsWith('…')).toBe(true);
    expect(long.startsWith(quote.prose.slice(0, -1))).toBe(true);
  });

  it('adds a second sentence only when it brings a word of the question the first lacks, within 420 characters', () => {
    const text =
      'Rotate tokens from the settings page. Tokens expire after a year. Rotate every token you revoke.';
    // "Tokens expire…" adds no word of "rotate tokens" the first lacks.
    expect(quotePassage(text, 'rotate tokens').prose).toBe('Rotate tokens from the settings page.');
    const wordy = `Rotate from the settings page, ${'where the list is '.repeat(20)}shown. Tokens expire after a year.`;
    // The second would add "tokens", but both together pass 420 characters.
    expect(quotePassage(wordy, 'rotate tokens').prose).not.toContain('Tokens expire');
  });

  it('knows "how to" and "which command" as how-to questions, and quotes at most ten steps', () => {
    const code = 'Rotate them like this:\n```sh\nkb rotate --all\n```';
    expect(quotePassage(code, 'how to rotate tokens').blocks).toHaveLength(1);
    expect(quotePassage(code, 'which commands rotate tokens').blocks).toHaveLength(1);
    const steps = `Reindex:\n${Array.from({ length: 12 }, (_, i) => `${i + 1}. Reindex step ${i + 1} of the space.`).join('\n')}`;
    const [block] = quotePassage(steps, 'What are the steps to reindex?').blocks;
    expect(block!.split('\n')).toHaveLength(10);
  });
});

describe('extractive quotes', () => {
  const passage = [
    'Tokens are issued by the admin. The default.',
    'Rotate tokens monthly from the settings page, before they expire.',
    'Unrelated remark about billing cycles and invoices.',
    'Revoked tokens stop working at once, on every replica.',
    'To rotate one from a shell:',
    '```bash',
    'kb rotate-token --all',
    '  --notify owners',
    '```',
  ].join('\n');

  it('quotes the sentence that holds the question, with a second that adds a word of it, "…" between', () => {
    const quote = quotePassage(passage, 'when do revoked tokens rotate?');
    expect(quote.prose).toBe(
      'Rotate tokens monthly from the settings page, before they expire. … Revoked tokens stop working at once, on every replica.',
    );
    expect(quote.blocks).toEqual([]);
    expect(quote.coverage).toBe(1);
  });

  it('never quotes a filler sentence of a few words, and never a part of a sentence', () => {
    const quote = quotePassage(passage, 'what is the default?');
    expect(quote.prose).not.toContain('The default.');
    // A short sentence that answers, saying more than the question, is quoted.
    expect(
      quotePassage('Set it up. Port 8080 by default. Other text here today.', 'default port').prose,
    ).toBe('Port 8080 by default.');
    for (const part of quote.prose.split(' … '))
      expect(quoteUnits(passage).some((u) => part.includes(u.text))).toBe(true);
  });

  it('quotes the code block whole, byte for byte, with its lead-in, when asked how to do something', () => {
    const quote = quotePassage(passage, 'How do I rotate tokens?');
    expect(quote.prose).toBe('To rotate one from a shell:');
    expect(quote.blocks).toEqual(['```bash\nkb rotate-token --all\n  --notify owners\n```']);
    // "How long…" asks for a fact, not a procedure: prose answers it.
    expect(quotePassage(passage, 'How long do tokens stay valid?').blocks).toEqual([]);
  });

  it('quotes a block only when it or its section is about the question, else the sentence that answers', () => {
    const text = [
      'To rotate the webhook secret, open Settings › Webhooks and press Regenerate.',
      'An example of the environment file:',
      '```env',
      'PORT=8080',
      '```',
    ].join('\n');
    expect(quotePassage(text, 'How do I rotate the webhook secret?')).toMatchObject({
      prose: 'To rotate the webhook secret, open Settings › Webhooks and press Regenerate.',
      blocks: [],
    });
    // Under a heading that names the question, the section's command is the answer.
    const cli = 'Operators sync from a shell:\n```bash\npnpm ingest --full\n```\nIt prints a progress line.';
    expect(
      quotePassage(cli, 'How do I reindex from the command line?', 'Reindex from the command line'),
    ).toMatchObject({
      prose: 'Operators sync from a shell:',
      blocks: ['```bash\npnpm ingest --full\n```'],
    });
  });

  it('keeps a block the chunker cut (no closing fence) as code, and skips a sentence cut at the start', () => {
    const text =
      'the cluster, run this script first.\nTo bootstrap the cluster, run:\n```bash\nset -e\n  ./init.sh';
    expect(quoteUnits(text).map((u) => u.kind)).toEqual(['sentence', 'sentence', 'code']);
    const quote = quotePassage(text, 'How do I bootstrap the cluster?');
    expect(quote).toMatchObject({
      prose: 'To bootstrap the cluster, run:',
      blocks: ['```bash\nset -e\n  ./init.sh'],
    });
    expect(quotePassage(text, 'what does the cluster need first?').prose).not.toMatch(/^the cluster/);
  });

  it('quotes every step of a list when asked how, and a step whole otherwise', () => {
    const steps =
      'Reindex like this:\n1. Open the admin page of the app.\n2. Press Reindex and watch the progress.';
    expect(quotePassage(steps, 'What are the steps to reindex?')).toMatchObject({
      prose: 'Reindex like this:',
      blocks: ['1. Open the admin page of the app.\n2. Press Reindex and watch the progress.'],
    });
    expect(quotePassage(steps, 'what does the progress show?').prose).toBe(
      '2. Press Reindex and watch the progress.',
    );
  });

  it('carries a short sentence that only opens the subject on to the next, and passes over one that only repeats the question', () => {
    const text =
      'Reindexing takes some time. It depends on the embedding model and the size of the site. Other things.';
    expect(quotePassage(text, 'how much time does reindexing take?').prose).toBe(
      'Reindexing takes some time. It depends on the embedding model and the size of the site.',
    );
    const refused = 'Uploads are refused. Uploads must be a single file of a supported type. Other things.';
    expect(quotePassage(refused, 'why are uploads refused?').prose).toBe(
      'Uploads must be a single file of a supported type.',
    );
  });

  it('quotes the opening of a passage that matched by its heading alone, and says it holds none of the question', () => {
    const quote = quotePassage('The index lives in a vector store of your choice.', 'qdrant');
    expect(quote).toEqual({
      prose: 'The index lives in a vector store of your choice.',
      blocks: [],
      coverage: 0,
    });
  });
});
