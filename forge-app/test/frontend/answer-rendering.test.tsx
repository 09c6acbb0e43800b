import { CITED_SOURCE } from '../fakes/service-double';
import { openConfluenceChat, type ForgeNode, type OpenPanel } from '../helpers/forge-ui';

interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: { href?: string } }[];
  content?: AdfNode[];
}

const nodesOf = (node: AdfNode): AdfNode[] => [node, ...(node.content ?? []).flatMap(nodesOf)];
const hrefs = (doc: AdfNode): [string, string][] =>
  nodesOf(doc).flatMap((n) =>
    (n.marks ?? []).filter((m) => m.type === 'link').map((m): [string, string] => [n.text!, m.attrs!.href!]),
  );

/** Answers as the reader sees them: Markdown drawn by AdfRenderer, sources as links to page and section. */
describe('a formatted answer in the Confluence panel', () => {
  let panel: OpenPanel;
  afterEach(() => panel.close());

  it('renders lists, code and links through AdfRenderer, and lists its sources as Link nodes', async () => {
    panel = await openConfluenceChat();
    const { ui, service } = panel;
    service.nextAnswers.push({
      answer: [
        'To rotate the token [1]:',
        '',
        '1. Open **Settings › Tokens**',
        '2. Run:',
        '   ```bash',
        '   kb token rotate',
        '   ```',
        '',
        '- See [the CLI guide](https://docs.example.com/cli#rotate) for flags',
        '- Old tokens stop working after `24h`',
      ].join('\n'),
    });
    ui.change(ui.questionBox(), { value: 'How do I rotate the token?' });
    ui.click('Ask');
    await ui.waitFor(() => ui.all('AdfRenderer').length === 1, 'the formatted answer');

    const doc = ui.all('AdfRenderer')[0]!.props.document as AdfNode;
    expect(doc).toMatchObject({ type: 'doc', version: 1 });
    expect(doc.content!.map((n) => n.type)).toEqual(['paragraph', 'orderedList', 'bulletList']);
    const types = nodesOf(doc).map((n) => n.type);
    expect(types).toEqual(expect.arrayContaining(['listItem', 'codeBlock']));
    expect(nodesOf(doc).find((n) => n.type === 'codeBlock')).toEqual({
      type: 'codeBlock',
      attrs: { language: 'bash' },
      content: [{ type: 'text', text: 'kb token rotate' }],
    });
    expect(nodesOf(doc).find((n) => n.text === '24h')!.marks).toEqual([{ type: 'code' }]);
    expect(nodesOf(doc).find((n) => n.text === 'Settings › Tokens')!.marks).toEqual([{ type: 'strong' }]);
    // The citation links to the cited page's section; the Markdown link to its own address.
    expect(hrefs(doc)).toEqual([
      ['[1]', CITED_SOURCE.url],
      ['the CLI guide', 'https://docs.example.com/cli#rotate'],
    ]);
    // No Markdown syntax is left showing as text.
    expect(ui.text()).not.toMatch(/\*\*|```|\]\(/);

    // Sources: a Link per web source, to the page at the cited section; a local file is named, not linked.
    const sources = ui.all('List')[0]!;
    const links: ForgeNode[] = ui.all('Link', () => true, sources);
    expect(links.map((l) => [l.props.href, ui.text(l), l.props.openNewTab])).toEqual([
      [CITED_SOURCE.url, CITED_SOURCE.title, true],
    ]);
    expect(ui.text(sources)).toBe(`[1] ${CITED_SOURCE.title}[2] User guide`);
  });
});
