import { DOCUMENT_VIEW_SECTIONS_MAX } from '@kb/contracts';
import { chunkDocument } from '../../src/ingest/chunk.js';
import { loadFile } from '../../src/ingest/sources/files.js';
import { documentView, withoutOverlap } from '../../src/chat/document-view.js';
import type { DocumentRecord, RetrievedChunk, VectorStore } from '../../src/store/vector-store.js';

/** A store holding one document, as the real chunker cut it; it counts the chunk reads asked of it. */
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
  const record: DocumentRecord = {
    id,
    source,
    title,
    url: 'guide.md',
    hash: 'h',
    chunks: chunks.length,
    indexedAt: '2026-12-07T00:00:00Z',
  };
  const reads: [number, number][] = [];
  const store = {
    documentRecord: (asked: string) => Promise.resolve(asked === id ? record : undefined),
    documentChunks: (asked: string, from: number, to: number) => {
      reads.push([from, to]);
      return Promise.resolve(asked === id ? chunks.filter((c) => c.ordinal >= from && c.ordinal < to) : []);
    },
  };
  return { store: store as unknown as VectorStore, chunks, reads };
}

const paragraphs = (prefix: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `${prefix} paragraph ${i} says one thing. It says ${i * 7} more things about ${prefix} at length, and then stops.`,
  );

/** The view's text of each section named `name`, joined as the document joins paragraphs. */
const sectionText = (view: { sections: { headingPath: string[]; text: string }[] }, name: string) =>
  view.sections
    .filter((s) => s.headingPath.at(-1) === name)
    .map((s) => s.text)
    .join('\n\n');

describe('a document opened from a source', () => {
  it('reads as the document: every paragraph once, in order, though chunks repeat their predecessor’s tail', async () => {
    const install = paragraphs('Install', 40);
    const upgrade = paragraphs('Upgrade', 30);
    const markdown = `# Guide\n\n## Install\n\n${install.join('\n\n')}\n\n## Upgrade\n\n${upgrade.join('\n\n')}\n`;
    const { store, chunks } = await storeOf('file:guide.md', markdown);
    // The chunker did repeat text (else this test would prove nothing).
    const indexed = chunks.map((c) => c.text).join('\n\n');
    expect(install.filter((p) => indexed.split(p).length - 1 > 1).length).toBeGreaterThan(0);

    const view = (await documentView(store, 'file:guide.md'))!;
    expect(view).toMatchObject({
      id: 'file:guide.md',
      title: 'Guide',
      source: 'files',
      location: 'guide.md',
    });
    expect(view.sectionCount).toBe(chunks.length);
    expect(view.sections.map((s) => s.id)).toEqual(chunks.map((c) => c.id));
    expect(view.sections.map((s) => s.ordinal)).toEqual(chunks.map((c) => c.ordinal));
    expect(sectionText(view, 'Install')).toBe(install.join('\n\n'));
    expect(sectionText(view, 'Upgrade')).toBe(upgrade.join('\n\n'));
  });

  it('keeps text that repeats in the document itself: only chunking’s own repeat is cut', async () => {
    const block = [
      'Drain the node and wait for connections to close.',
      'Restart the service on the node.',
      'Check that the health endpoint answers before the next node.',
    ];
    const steps = Array.from({ length: 40 }, () => block).flat();
    const { store, chunks } = await storeOf(
      'file:rollout.md',
      `# Rollout\n\n## Each node\n\n${steps.join('\n\n')}\n`,
    );
    expect(chunks.length).toBeGreaterThan(2);
    const view = (await documentView(store, 'file:rollout.md'))!;
    expect(sectionText(view, 'Each node')).toBe(steps.join('\n\n'));
    expect(sectionText(view, 'Each node').split('Restart the service').length - 1).toBe(40);
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

  it('cuts only a tail chunking could have chosen, followed by a blank line', () => {
    expect(withoutOverlap('Alpha beta. Gamma delta.', 'Gamma delta.\n\nEpsilon.')).toBe('Epsilon.');
    expect(withoutOverlap('Alpha beta.\nGamma delta.', 'Alpha beta. Gamma delta.\n\nEpsilon.')).toBe(
      'Epsilon.',
    );
    expect(withoutOverlap('Alpha beta. Gamma delta.', 'Gamma.\n\nEpsilon.')).toBe('Gamma.\n\nEpsilon.');
    expect(withoutOverlap('Alpha beta. Gamma delta.', 'Alpha beta.\n\nEpsilon.')).toBe(
      'Alpha beta.\n\nEpsilon.',
    );
    expect(withoutOverlap('One. Two.', 'No paragraph break here')).toBe('No paragraph break here');
    // Past the overlap budget (50 tokens) nothing is a repeat, however exactly it matches.
    const long = `${'word '.repeat(80).trim()}.`;
    expect(withoutOverlap(`Intro. ${long}`, `${long}\n\nNext.`)).toBe(`${long}\n\nNext.`);
    // A tail cut inside an over-long last sentence is cut too.
    expect(withoutOverlap(`Intro. ${long}`, 'word word word.\n\nNext.')).toBe('Next.');
  });

  it('shows at most 200 sections, from a little before the one asked for, and says how many there are', async () => {
    const long = paragraphs('Step', 3600);
    const { store, chunks } = await storeOf('file:long.md', `# Long\n\n${long.join('\n\n')}\n`);
    expect(chunks.length).toBeGreaterThan(DOCUMENT_VIEW_SECTIONS_MAX + 40);
    const around = 60;
    const view = (await documentView(store, 'file:long.md', around))!;
    expect(view.sectionCount).toBe(chunks.length);
    expect(view.sections).toHaveLength(DOCUMENT_VIEW_SECTIONS_MAX);
    expect(view.sections[0]!.ordinal).toBe(around - 20);
    expect(view.sections.map((s) => s.ordinal)).toEqual(
      Array.from({ length: DOCUMENT_VIEW_SECTIONS_MAX }, (_, i) => around - 20 + i),
    );
    // The first section shown is cut like the rest: its repeat of the section before the window is gone.
    const whole = (await documentView(store, 'file:long.md', 0))!;
    const fromStart = new Map(whole.sections.map((s) => [s.ordinal, s.text]));
    const atEnd = (await documentView(store, 'file:long.md', chunks.length - 1))!;
    expect(atEnd.sections.at(-1)!.ordinal).toBe(chunks.length - 1);
    expect(atEnd.sections).toHaveLength(DOCUMENT_VIEW_SECTIONS_MAX);
    expect(view.sections.find((s) => s.ordinal === 40)?.text).not.toBe(chunks[40]!.text);
    expect(fromStart.get(199)).not.toBe(chunks[199]!.text);
  });

  it.each(['files', 's3', 'upload'] as const)('shows a document of the %s source', async (source) => {
    const { store } = await storeOf('doc:x', '# Runbook\n\nPromote the replica.\n', source);
    expect(await documentView(store, 'doc:x')).toMatchObject({
      source,
      sections: [{ text: 'Promote the replica.' }],
    });
  });

  it('is never a Confluence page, whose chunks are not even read, nor a missing one', async () => {
    const { store, reads } = await storeOf('confluence:page:42', '# Restricted\n\nSalaries.\n', 'confluence');
    expect(await documentView(store, 'confluence:page:42')).toBeUndefined();
    expect(await documentView(store, 'file:nothing.md')).toBeUndefined();
    expect(reads).toEqual([]);
  });
});
