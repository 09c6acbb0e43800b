// The reader's past conversations: newest first, a page at a time, each a link to `#c=<id>` (so it opens
// in place, in a new tab, or from a bookmark alike), with a delete that asks first. When the service keeps
// no history (404) or the list fails, the list hides and a short note says why; the chat still works.

import { ApiError, apiJson } from './api.js';
import { $, element } from './dom.js';

const PAGE_SIZE = 20;
/** Where the stylesheet turns the side list into a panel behind the "Conversations" button. */
const narrow = matchMedia('(max-width: 48rem)');
const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday"… */
export function relativeTime(iso, now = Date.now()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  if (!Number.isFinite(seconds)) return '';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

export function conversationHref(id) {
  return `#c=${encodeURIComponent(id)}`;
}

/**
 * The list in the `#history` panel. `onDeleted(id)` runs after a conversation is deleted; `needKey(retry)`
 * when the service wants an API key first.
 */
export function createConversationList({ onDeleted, needKey }) {
  const panel = $('history');
  const list = $('conversation-list');
  const more = $('load-more');
  const none = $('no-conversations');
  const status = $('history-status');
  const toggle = $('toggle-history');
  const note = $('history-note');
  let cursor = null;
  let currentId;
  // Bumped by every reload: a page of an earlier list arriving late is not appended to the new one.
  let generation = 0;

  function unavailable(message, retry) {
    panel.hidden = true;
    toggle.hidden = true;
    note.replaceChildren(message);
    if (retry) {
      const again = element('button', { type: 'button', className: 'link' }, 'Try again');
      again.addEventListener('click', retry);
      note.append(' ', again);
    }
    note.hidden = false;
  }

  function available() {
    note.hidden = true;
    panel.hidden = false;
    toggle.hidden = false;
  }

  function markCurrent(id) {
    currentId = id;
    for (const link of list.querySelectorAll('a.open')) {
      if (link.parentElement.dataset.id === id) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  function askToDelete(li, conversation, deleteButton) {
    const confirm = element('button', { type: 'button', className: 'danger' }, 'Delete');
    const cancel = element('button', { type: 'button', className: 'link' }, 'Cancel');
    const message = element('span', { className: 'error' });
    const box = element(
      'div',
      { className: 'confirm' },
      'Delete this conversation? ',
      confirm,
      ' ',
      cancel,
      message,
    );
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', `Confirm deleting “${conversation.title}”`);
    deleteButton.hidden = true;
    li.append(box);
    cancel.focus();
    const close = () => {
      box.remove();
      deleteButton.hidden = false;
      deleteButton.focus();
    };
    cancel.addEventListener('click', close);
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close();
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        await apiJson(`api/v1/conversations/${encodeURIComponent(conversation.id)}`, { method: 'DELETE' });
      } catch (err) {
        // Already gone (deleted in another tab) is what the reader asked for.
        if (!(err instanceof ApiError && err.status === 404)) {
          confirm.disabled = false;
          if (err instanceof ApiError && err.status === 401) needKey(() => confirm.click());
          else message.textContent = ` Not deleted: ${err.message}`;
          return;
        }
      }
      li.remove();
      none.hidden = list.children.length > 0;
      status.textContent = `Deleted “${conversation.title}”.`;
      onDeleted(conversation.id);
      (list.querySelector('a.open') ?? $('question')).focus();
    });
  }

  function item(conversation) {
    const when = element(
      'time',
      {
        className: 'when',
        dateTime: conversation.updatedAt,
        title: new Date(conversation.updatedAt).toLocaleString(),
      },
      relativeTime(conversation.updatedAt),
    );
    const link = element(
      'a',
      { className: 'open', href: conversationHref(conversation.id) },
      element('span', { className: 'title' }, conversation.title || 'Untitled'),
      when,
    );
    const remove = element('button', { type: 'button', className: 'link delete' }, 'Delete');
    remove.setAttribute('aria-label', `Delete “${conversation.title}”`);
    const li = element('li', { className: 'conversation' }, link, remove);
    li.dataset.id = conversation.id;
    remove.addEventListener('click', () => askToDelete(li, conversation, remove));
    return li;
  }

  async function load(replace) {
    const mine = replace ? ++generation : generation;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (!replace && cursor) query.set('cursor', cursor);
    more.disabled = true;
    try {
      const page = await apiJson(`api/v1/conversations?${query}`);
      if (mine !== generation) return;
      const items = page.conversations.map(item);
      if (replace) list.replaceChildren(...items);
      else list.append(...items);
      cursor = page.nextCursor;
      more.hidden = !cursor;
      none.hidden = list.children.length > 0;
      markCurrent(currentId);
      available();
    } catch (err) {
      if (mine !== generation) return;
      if (err instanceof ApiError && err.status === 401) needKey(() => load(replace));
      else if (err instanceof ApiError && err.status === 404) {
        unavailable(
          'Conversation history is off on this service, so past conversations and ratings are not kept.',
        );
      } else unavailable(`Past conversations could not be loaded: ${err.message}`, () => void load(true));
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener('click', () => void load(false));
  // On a narrow screen the list covers the chat: choosing a conversation closes it to show that chat.
  list.addEventListener('click', (event) => {
    if (event.target.closest('a.open') && narrow.matches) setOpen(false);
  });
  function setOpen(open) {
    toggle.setAttribute('aria-expanded', String(open));
    panel.classList.toggle('open', open);
  }
  toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));
  // Relative times age while the page stays open.
  setInterval(() => {
    for (const time of list.querySelectorAll('time')) time.textContent = relativeTime(time.dateTime);
  }, 60_000);

  return {
    reload: () => load(true),
    markCurrent,
  };
}
