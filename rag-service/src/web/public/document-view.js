// A source the service holds (a documents folder's file, an S3 object, an upload) opens here, in a dialog
// over the conversation, at the section the answer cited. Confluence sources are links to Confluence.

import { ApiError, apiJson } from './api.js';
import { $, element } from './dom.js';
import { renderMarkdown } from './markdown.js';

const dialog = $('document-view');
const body = $('document-body');
/** The last request: a slow answer for a document the reader has left must not replace a newer one. */
let showing = 0;

/** A source id names its chunk (`file:guide.md#3`): the document is what comes before "#", the section after. */
function partsOf(sourceId) {
  const m = /^(.*)#(\d+)$/.exec(sourceId);
  return m ? { documentId: m[1], ordinal: Number(m[2]) } : { documentId: sourceId, ordinal: 0 };
}

/** Which part of a long document the view holds (at most 200 sections), or nothing when it holds it all. */
function windowNote(view) {
  const first = view.sections[0]?.ordinal ?? 0;
  const last = view.sections.at(-1)?.ordinal ?? 0;
  if (view.sections.length === view.sectionCount) return undefined;
  return element(
    'p',
    { className: 'muted window-note' },
    `A long document: sections ${first + 1}–${last + 1} of ${view.sectionCount} are shown, around the cited one.`,
  );
}

/** Headings for the levels of `path` that differ from `before`: a section starts under its own headings. */
function headingsBetween(before, path, title) {
  let same = 0;
  while (same < before.length && before[same] === path[same]) same++;
  return path.slice(same).flatMap((text, i) => {
    const depth = same + i;
    // The document's title is the dialog's own heading.
    if (depth === 0 && text === title) return [];
    return [element(`h${Math.min(Math.max(depth + 2, 3), 6)}`, {}, text)];
  });
}

function render(view, sectionId) {
  $('document-title').textContent = view.title;
  $('document-location').textContent = view.location;
  const parts = [];
  let path = [];
  let target;
  for (const section of view.sections) {
    parts.push(...headingsBetween(path, section.headingPath, view.title));
    path = section.headingPath;
    const block = element('section', { className: 'document-section', tabIndex: -1 });
    block.dataset.id = section.id;
    renderMarkdown(block, section.text);
    if (section.id === sectionId) {
      block.classList.add('cited-section');
      block.setAttribute('aria-label', 'The cited section');
      target = block;
    }
    parts.push(block);
  }
  const note = windowNote(view);
  body.replaceChildren(...(note ? [note] : []), ...parts);
  return target;
}

/** Opens the document of `source` in the dialog, scrolled to the cited section, which takes the focus. */
export async function openDocument(source, needKey) {
  const request = ++showing;
  $('document-title').textContent = source.title;
  $('document-location').textContent = '';
  body.replaceChildren(element('p', { className: 'muted' }, 'Opening…'));
  if (!dialog.open) dialog.showModal();
  try {
    const { documentId, ordinal } = partsOf(source.id);
    const view = await apiJson(`api/v1/documents/${encodeURIComponent(documentId)}?around=${ordinal}`);
    if (request !== showing) return;
    const target = render(view, source.id);
    (target ?? $('document-close')).focus({ preventScroll: true });
    // The cited section with the headings it starts under in view: they say which section it is.
    let top = target;
    while (top?.previousElementSibling && /^H\d$/.test(top.previousElementSibling.tagName))
      top = top.previousElementSibling;
    top?.scrollIntoView({ block: 'start' });
  } catch (err) {
    if (request !== showing) return;
    if (err instanceof ApiError && err.status === 401) {
      dialog.close();
      needKey(() => openDocument(source, needKey));
      return;
    }
    body.replaceChildren(
      element('p', { className: 'error', role: 'alert' }, `The document could not be opened: ${err.message}`),
    );
  }
}

$('document-close').addEventListener('click', () => dialog.close());
// A click on the backdrop (outside the dialog's box) closes it, as Escape does.
dialog.addEventListener('click', (event) => {
  if (event.target === dialog) dialog.close();
});
