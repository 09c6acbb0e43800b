// An answer's Markdown as safe HTML: marked parses it (GitHub-flavoured: lists, tables, fenced code),
// DOMPurify keeps only harmless elements and attributes, and the citations ([1], [2, 3]) become links to
// the numbered sources. Both libraries are served by the service itself (the page's CSP allows only 'self').

import { Marked } from './assets/vendor/marked.js';
import DOMPurify from './assets/vendor/purify.js';
import { element } from './dom.js';

const marked = new Marked({ gfm: true, breaks: false, async: false });

/**
 * Only what marked makes of Markdown: text blocks, lists, tables, code, links. No images (an answer must not
 * make the browser fetch anything), no forms or labels (which could press the page's own buttons), and no
 * class, role or id (which could dress text up as the page's citations, alerts or controls).
 */
const PURIFY = {
  ALLOWED_TAGS: [
    ...['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code'],
    ...['strong', 'em', 'del', 's', 'ul', 'ol', 'li', 'a'],
    ...['table', 'thead', 'tbody', 'tr', 'th', 'td'],
  ],
  ALLOWED_ATTR: ['href', 'title', 'start', 'align', 'class'],
  ALLOW_DATA_ATTR: false,
};

// A class only as marked sets it: the language of a fenced code block.
DOMPurify.addHook('uponSanitizeAttribute', (node, data) => {
  if (data.attrName === 'class')
    data.keepAttr = node.tagName === 'CODE' && /^language-[\w+-]+$/.test(data.attrValue);
});

// Links in an answer open beside the page, and only to web or mail addresses.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return;
  const href = node.getAttribute('href') ?? '';
  if (!/^(https?:|mailto:)/i.test(href)) {
    node.removeAttribute('href');
    return;
  }
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', 'noopener noreferrer');
});

const CITATION = /\[(\d+(?:,\s*\d+)*)\]/g;
const HAS_CITATION = /\[\d+(?:,\s*\d+)*\]/;

/** Replaces [n] in the text (outside code) with a superscript link per number to `#<prefix>-<n>`. */
function linkCitations(root, anchorPrefix) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) =>
      node.parentElement?.closest('code, pre, a') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const texts = [];
  while (walker.nextNode()) if (HAS_CITATION.test(walker.currentNode.data)) texts.push(walker.currentNode);
  for (const node of texts) {
    const parts = [];
    let last = 0;
    for (const m of node.data.matchAll(CITATION)) {
      parts.push(node.data.slice(last, m.index));
      const sup = element('sup', { className: 'cite' }, '[');
      m[1].split(',').forEach((n, i) => {
        if (i) sup.append(', ');
        const num = n.trim();
        sup.append(element('a', { href: `#${anchorPrefix}-${num}`, title: `Source ${num}` }, num));
      });
      sup.append(']');
      parts.push(sup);
      last = m.index + m[0].length;
    }
    parts.push(node.data.slice(last));
    node.replaceWith(...parts);
  }
}

/** A Copy button on each code block, copying the code as it is. */
function addCodeCopy(root) {
  for (const pre of root.querySelectorAll('pre')) {
    const code = pre.querySelector('code') ?? pre;
    const button = element('button', { type: 'button', className: 'copy-code' }, 'Copy');
    button.setAttribute('aria-label', 'Copy the code');
    // The code as written: marked ends a block with a newline the reader did not see.
    button.addEventListener('click', () => copyText(code.textContent.replace(/\n$/, ''), button));
    pre.classList.add('has-copy');
    pre.prepend(button);
  }
}

/** Copies `text`, and says so on the button for a moment. */
export async function copyText(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed';
  }
  setTimeout(() => (button.textContent = label), 1500);
}

/**
 * Renders `text` (Markdown) into `container`: sanitised HTML, copyable code, and citations linked to the
 * sources under `anchorPrefix` (none without one: a document's own "[1]" cites nothing on the page).
 */
export function renderMarkdown(container, text, anchorPrefix) {
  const html = DOMPurify.sanitize(marked.parse(text), PURIFY);
  const template = document.createElement('template');
  template.innerHTML = html;
  if (anchorPrefix) linkCitations(template.content, anchorPrefix);
  addCodeCopy(template.content);
  container.replaceChildren(template.content);
}
