import { chunkDocument } from '../../src/ingest/chunk.js';
import { loadFile } from '../../src/ingest/sources/files.js';
import { documentView, withoutOverlap } from '../../src/chat/document-view.js';
import type { RetrievedChunk, StoredDocument, VectorStore } from '../../src/store/vector-store.js';

/** A store holding one document, as the real chunker cut it. */
async function storeOf(id: string, markdown: string, source: RetrievedChunk['source'] = 'files') {
  const { title, structured } = await loadFile(Buffer.from(markdown), 'guide.md', '');
  const chunks: RetrievedChunk[] = chunkDocument(structured).map((c) => ({
    id: `${id}#${c.ordinal}`,
    docId: id,
    ordinal: c.ordinal,
    source,
    title,
    headingPath: c.headingPath,
    url: 'guide.md',
    text: c.text,
  }));
  const stored: StoredDocument = {
    record: {
      id,
      source,
      title,
      url: 'guide.md',
      hash: 'h',
      chunks: chunks.length,
      indexedAt: '2026-12-07T00:00:00Z',
    },
    chunks,
  };
  const store = { readDocument: (asked: string) => Promise.resolve(asked === id ? stored : undefined) };
  return { store: store as unknown as VectorStore, chunks };
}

const paragraphs = (prefix: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `${prefix} paragraph ${i} says one thing. It says ${i * 7} more things about ${prefix} at length, and then stops.`,
  );

describe('a document opened from a source', () => {
  it('reads as the document: every paragraph once, in order, though chunks repeat their predecessor’s tail', async () => {
    const install = paragraphs('Install', 40);
    const upgrade = paragraphs('Upgrade', 30);
    const markdown = `# Guide\n\n## Install\n\n${install.join('\n\n')}\n\n## Upgrade\n\n${upgrade.join('\n\n')}\n`;
    const { store, chunks } = await storeOf('file:guide.md', markdown);
    // The chunker did repeat text (else this test would prove nothing).
    const indexed = chunks.map((c) => c.text).join('\n\n');
    const repeated = install.filter((p) => indexed.split(p).length - 1 > 1);
    expect(repeated.length).toBeGreaterThan(0);

    const view = await documentView(store, 'file:guide.md');
    expect(view).toMatchObject({
      id: 'file:guide.md',
      title: 'Guide',
      source: 'files',
      location: 'guide.md',
    });
    expect(view!.sections.map((s) => s.id)).toEqual(chunks.map((c) => c.id));
    const bySection = (name: string) =>
      view!.sections
        .filter((s) => s.headingPath.at(-1) === name)
        .map((s) => s.text)
        .join('\n\n');
    expect(bySection('Install')).toBe(install.join('\n\n'));
    expect(bySection('Upgrade')).toBe(upgrade.join('\n\n'));
  });

  it('keeps a section’s first paragraph even when the section before ended with the same words', async () => {
    const markdown =
      '# Notes\n\n## One\n\nRestart the service.\n\n## Two\n\nRestart the service.\n\nThen check it.\n';
    const { store } = await storeOf('file:notes.md', markdown);
    const view = await documentView(store, 'file:notes.md');
    expect(view!.sections.map((s) => s.text)).toEqual([
      'Restart the service.',
      'Restart the service.\n\nThen check it.',
    ]);
  });

  it('cuts only a repeat: a first paragraph that does not end the chunk before stays', () => {
    expect(withoutOverlap('Alpha beta. Gamma delta.', 'Gamma delta.\n\nEpsilon.')).toBe('Epsilon.');
    expect(withoutOverlap('Alpha beta.\nGamma\n delta.', 'Gamma delta.\n\nEpsilon.')).toBe('Epsilon.');
    expect(withoutOverlap('Alpha beta. Gamma delta.', 'Gamma.\n\nEpsilon.')).toBe('Gamma.\n\nEpsilon.');
    expect(withoutOverlap('Alpha beta. Gamma delta.', 'Alpha beta.\n\nEpsilon.')).toBe(
      'Alpha beta.\n\nEpsilon.',
    );
    // The longest repeat wins when it runs over several paragraphs.
    expect(withoutOverlap('One. Two. Three.', 'Two.\n\nThree.\n\nFour.')).toBe('Four.');
    expect(withoutOverlap('One. Two.', 'No paragraph break here')).toBe('No paragraph break here');
  });

  it('is never a Confluence page, which opens in Confluence under its own permissions, nor a missing one', async () => {
    const { store } = await storeOf('confluence:page:42', '# Restricted\n\nSalaries.\n', 'confluence');
    expect(await documentView(store, 'confluence:page:42')).toBeUndefined();
    expect(await documentView(store, 'file:nothing.md')).toBeUndefined();
  });
});
