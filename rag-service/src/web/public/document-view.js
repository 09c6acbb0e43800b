// A source the service holds (a documents folder's file, an S3 object, an upload) opens here, in a dialog
// over the conversation, at the section the answer cited. Confluence sources are links to Confluence.

import { ApiError, apiJson } from './api.js';
import { $, element } from './dom.js';
import { renderMarkdown } from './markdown.js';

const dialog = $('document-view');
const body = $('document-body');
/** The last request: a slow answer for a document the reader has left must not replace a newer one. */
let showing = 0;

/** A source id names its chunk (`file:guide.md#3`); the document is everything before the last "#n". */
export const documentIdOf = (sourceId) => sourceId.replace(/#\d+$/, '');

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
  body.replaceChildren(...parts);
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
    const view = await apiJson(`api/v1/documents/${encodeURIComponent(documentIdOf(source.id))}`);
    if (request !== showing) return;
    const target = render(view, source.id);
    (target ?? $('document-close')).focus({ preventScroll: true });
    target?.scrollIntoView({ block: 'start' });
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
