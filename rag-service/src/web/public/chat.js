// The web chat page: plain ES modules, no build step. It talks to POST /api/v1/chat with
// `Accept: text/event-stream` and renders the contract's events: sources, token…, done | error.
// With history kept, the conversation's id is in the URL (`#c=<id>`), so a reload or a link resumes it.

import { ApiError, apiJson, apiKey, forgetKey, keyRejected, rememberKey, withKey } from './api.js';
import { conversationHref, createConversationList } from './conversations.js';
import { openDocument } from './document-view.js';
import { $, element } from './dom.js';
import { copyText, renderMarkdown } from './markdown.js';
import { ratingControls } from './rating.js';
import { clearUploadStatus, enableUploads } from './upload.js';

const MAX_HISTORY = 20;

const messages = $('messages');
const form = $('ask-form');
const question = $('question');
const send = $('send');
const keyForm = $('key-form');

/** The turns so far: sent as `history` (used by the service only when it keeps none of its own). */
let turns = [];
let conversationId;
/** Bumped whenever the page shows another conversation: a late answer to the one left behind is dropped. */
let session = 0;
/** The session whose stored conversation is still loading: questions wait for it to show. */
let loadingSession;
/** The conversation the URL names, as the page last followed or wrote it. */
let urlId;
let pendingRetries = [];

/** Asks for an API key; when the key the page had was refused, the reader is told so. */
function needKey(retry) {
  const rejected = keyRejected();
  pendingRetries.push(retry);
  keyForm.hidden = false;
  const note = $('key-rejected');
  // An alert only while shown: a hidden one would still be announced as one by some readers.
  if (rejected) {
    note.textContent = 'That key was rejected: check it and enter it again.';
    note.setAttribute('role', 'alert');
  } else note.removeAttribute('role');
  note.hidden = !rejected;
  $('api-key').setAttribute('aria-invalid', String(rejected));
  $('api-key').focus();
}

const conversations = createConversationList({
  needKey,
  onDeleted: (id) => {
    if (id === conversationId) startNew();
  },
});

function renderSources(list, sources, anchorPrefix) {
  list.replaceChildren();
  for (const s of sources) {
    const isLink = /^https?:\/\//.test(s.url);
    // A web source opens where it lives; one the service holds opens in the page, at the cited section.
    const title = isLink
      ? element('a', { href: s.url, target: '_blank', rel: 'noopener noreferrer' }, s.title)
      : element('button', { type: 'button', className: 'link open-source' }, s.title);
    if (!isLink) title.addEventListener('click', () => openDocument(s, needKey));
    // Focusable, so following a citation from the keyboard lands on its source.
    const item = element(
      'li',
      { id: `${anchorPrefix}-${s.n}`, value: s.n, className: s.cited ? 'cited' : 'uncited', tabIndex: -1 },
      title,
    );
    if (!isLink && s.url) item.append(' ', element('span', { className: 'muted' }, `(${s.url})`));
    item.append(element('p', { className: 'snippet' }, s.snippet));
    list.append(item);
  }
  list.hidden = sources.length === 0;
}

/** The empty conversation's prompt and its suggested questions, shown only while nothing is asked. */
function showEmpty(show) {
  $('empty').hidden = !show;
  $('suggestions').hidden = !show || !$('suggestions').childElementCount;
}

/** A few questions to start from (GET /api/v1/suggestions); quietly none when they cannot be had. */
async function loadSuggestions() {
  let list;
  try {
    list = await apiJson('api/v1/suggestions');
  } catch {
    return;
  }
  const box = $('suggestions');
  box.replaceChildren(
    ...list.suggestions.map((s) => {
      const chip = element('button', { type: 'button', className: 'suggestion' }, s.title);
      chip.setAttribute('aria-label', `Ask: ${s.question}`);
      chip.addEventListener('click', () => {
        question.value = s.question;
        form.requestSubmit();
        // The chip goes away with the empty state: the keyboard carries on from the question box.
        question.focus();
      });
      return chip;
    }),
  );
  box.hidden = $('empty').hidden || !list.suggestions.length;
}

function addMessage(role, text) {
  showEmpty(false);
  const li = element('li', { className: `message ${role}` });
  // An answer is Markdown (blocks: paragraphs, lists, tables); a question is the reader's own plain text.
  const body = element(role.startsWith('assistant') ? 'div' : 'p', { className: 'text' });
  body.textContent = text;
  li.append(body);
  messages.append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

/** An answer bubble with its sources list; the prefix keeps its source anchors apart from other answers'. */
function addAnswer() {
  const li = addMessage('assistant pending', '');
  const anchorPrefix = `src-${messages.children.length}`;
  const sourceList = element('ol', { className: 'sources', hidden: true });
  li.append(sourceList);
  return { li, body: li.querySelector('.text'), sourceList, anchorPrefix };
}

/** Below a finished answer: copy it (as the Markdown it came as). Ratings join this row when kept. */
function answerActions(markdown) {
  const copy = element('button', { type: 'button', className: 'link copy-answer' }, 'Copy answer');
  copy.addEventListener('click', () => copyText(markdown, copy));
  return element('div', { className: 'answer-actions' }, copy);
}

function addStoredAnswer(message) {
  const { li, body, sourceList, anchorPrefix } = addAnswer();
  li.classList.remove('pending');
  renderMarkdown(body, message.content, anchorPrefix);
  renderSources(sourceList, message.sources, anchorPrefix);
  const actions = answerActions(message.content);
  actions.append(ratingControls(message.id, message.feedback, { needKey }));
  li.append(actions);
}

/** Parses a server-sent event stream from a fetch body, calling `onEvent(name, data)` per event. */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of raw.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

function showError(li, message, retry) {
  li.classList.remove('pending');
  const p = element('p', { className: 'error', role: 'alert' }, message);
  if (retry) {
    const again = element('button', { type: 'button', className: 'link' }, 'Try again');
    again.addEventListener('click', () => {
      li.remove();
      retry();
    });
    p.append(' ', again);
  }
  li.append(p);
}

/** Puts the conversation in the address without a navigation: a reload (or the link) resumes it. */
function showInUrl(id) {
  urlId = id;
  const url = id ? conversationHref(id) : `${location.pathname}${location.search}`;
  if (location.hash !== (id ? conversationHref(id) : '')) history.replaceState(null, '', url);
}

/** The answer being streamed, if any: Stop aborts it. */
let streaming;

function setStreaming(controller) {
  streaming = controller;
  send.textContent = controller ? 'Stop' : 'Send';
  send.classList.toggle('stop', Boolean(controller));
  send.setAttribute('aria-label', controller ? 'Stop the answer' : 'Send the question');
}

async function ask(text) {
  const { li, body, sourceList, anchorPrefix } = addAnswer();
  const mine = session;
  const controller = new AbortController();
  let answer = '';
  let kept = false;
  let finished = false;
  let frame = 0;
  // Tokens arrive faster than a screen refreshes: the Markdown is rendered at most once a frame.
  const renderSoon = () => {
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      renderMarkdown(body, answer, anchorPrefix);
    });
  };
  setStreaming(controller);
  const sentKey = apiKey();
  try {
    const res = await fetch('api/v1/chat', {
      method: 'POST',
      headers: withKey({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify({
        message: text,
        history: turns.slice(-MAX_HISTORY),
        conversationId,
        context: { product: 'web' },
      }),
      signal: controller.signal,
    });
    if (res.status === 401) {
      li.remove();
      forgetKey(sentKey);
      needKey(() => ask(text));
      return;
    }
    if (!res.ok || !res.body) {
      const err = await res.json().catch(() => ({}));
      throw new Error(err?.error?.message ?? `the service answered ${res.status}`);
    }
    await readEvents(res.body, (event, data) => {
      if (event === 'sources') renderSources(sourceList, data.sources, anchorPrefix);
      else if (event === 'token') {
        answer += data.text;
        renderSoon();
      } else if (event === 'done') {
        finished = true;
        // Whole now: a Stop from here on has nothing to stop.
        if (streaming === controller) setStreaming(undefined);
        cancelAnimationFrame(frame);
        renderMarkdown(body, data.answer, anchorPrefix);
        renderSources(sourceList, data.sources, anchorPrefix);
        li.classList.remove('pending');
        kept = Boolean(data.messageId);
        const actions = answerActions(data.answer);
        if (kept) actions.append(ratingControls(data.messageId, null, { needKey }));
        li.append(actions);
        if (mine !== session) return;
        conversationId = data.conversationId;
        turns.push({ role: 'user', content: text }, { role: 'assistant', content: data.answer });
        // Only a kept conversation can be resumed: with no history (messageId null) the URL stays as it is.
        if (data.messageId) {
          showInUrl(conversationId);
          conversations.markCurrent(conversationId);
        }
      } else if (event === 'error') {
        finished = true;
        showError(li, data.message, () => ask(text));
      }
    });
    if (!finished) showError(li, 'The answer was cut off.', () => ask(text));
    // The list shows this conversation first, with its new time (or at all, if it is new).
    else if (kept) void conversations.reload();
  } catch (err) {
    if (finished) return;
    if (controller.signal.aborted) {
      // Stopped by the reader: what arrived stays, marked as stopped; nothing is retried.
      cancelAnimationFrame(frame);
      renderMarkdown(body, answer, anchorPrefix);
      li.classList.remove('pending');
      li.classList.add('stopped');
      li.append(element('p', { className: 'muted stopped-note', role: 'status' }, 'Stopped.'));
    } else showError(li, `Could not get an answer: ${err.message}`, () => ask(text));
  } finally {
    if (streaming === controller) setStreaming(undefined);
    // A long answer shows from its start (a phone's view would otherwise be left at its end).
    const view = messages.parentElement;
    li.scrollIntoView({ block: li.offsetHeight > view.clientHeight ? 'start' : 'nearest' });
  }
}

function clearChat() {
  session++;
  // An answer still streaming finishes in its own conversation; this one may be asked in at once.
  if (streaming) setStreaming(undefined);
  turns = [];
  conversationId = undefined;
  messages.replaceChildren();
  showEmpty(true);
}

function startNew() {
  clearChat();
  clearUploadStatus();
  showInUrl(undefined);
  conversations.markCurrent(undefined);
  question.focus();
}

async function openConversation(id) {
  clearChat();
  urlId = id;
  // Set at once: a question asked while it loads continues this conversation.
  conversationId = id;
  conversations.markCurrent(id);
  const mine = session;
  showEmpty(false);
  const placeholder = element('li', { className: 'muted' }, 'Loading the conversation…');
  messages.append(placeholder);
  loadingSession = mine;
  try {
    const conversation = await apiJson(`api/v1/conversations/${encodeURIComponent(id)}`);
    if (mine !== session) return;
    placeholder.remove();
    for (const m of conversation.messages) {
      if (m.role === 'user') addMessage('user', m.content);
      else addStoredAnswer(m);
      turns.push({ role: m.role, content: m.content });
    }
    if (!conversation.messages.length) showEmpty(true);
  } catch (err) {
    if (mine !== session) return;
    placeholder.remove();
    if (err instanceof ApiError && err.status === 401) {
      needKey(() => openConversation(id));
      return;
    }
    if (err instanceof ApiError && err.status === 404) {
      // Deleted, another caller's, or history is off: start afresh rather than continue a dead id.
      startNew();
      const notice = element('li', { className: 'notice muted' }, 'That conversation is not available.');
      notice.setAttribute('role', 'status');
      messages.append(notice);
      return;
    }
    const li = addMessage('assistant', '');
    showError(li, `Could not open the conversation: ${err.message}`, () => void openConversation(id));
  } finally {
    if (loadingSession === mine) loadingSession = undefined;
  }
}

/** The conversation named in the URL (`#c=<id>`), or none. */
function idFromUrl() {
  return new URLSearchParams(location.hash.slice(1)).get('c') || undefined;
}

/** Opens what the URL names (a list link, Back/Forward, an edited address); other hashes are left alone. */
function followUrl() {
  const id = idFromUrl();
  if (id === urlId || (!id && location.hash !== '')) return;
  if (id) void openConversation(id);
  else startNew();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (streaming) return;
  const text = question.value.trim();
  if (!text || loadingSession === session) return;
  question.value = '';
  addMessage('user', text);
  void ask(text);
});

// While an answer streams the button is Stop: it ends the answer where it is.
send.addEventListener('click', (event) => {
  if (!streaming) return;
  event.preventDefault();
  // The second click of a double-click on Send is not a Stop.
  if (event.detail > 1) return;
  streaming.abort();
});

question.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

// A citation scrolls to its source without changing the URL, which names the conversation.
messages.addEventListener('click', (event) => {
  const link = event.target.closest('sup.cite a');
  const target = link && document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  target.focus({ preventScroll: true });
  // The source lights up, so the eye finds which one the citation meant.
  target.classList.remove('highlight');
  void target.offsetWidth;
  target.classList.add('highlight');
});

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  rememberKey($('api-key').value.trim());
  $('api-key').value = '';
  keyForm.hidden = true;
  const retries = pendingRetries;
  pendingRetries = [];
  for (const retry of retries) retry();
  // With a key the suggestions can be had now, if the first try was refused.
  if (!$('suggestions').childElementCount) void loadSuggestions();
});

$('new-chat').addEventListener('click', () => {
  if (idFromUrl()) history.pushState(null, '', `${location.pathname}${location.search}`);
  startNew();
});

window.addEventListener('hashchange', followUrl);
window.addEventListener('popstate', followUrl);

fetch('readyz')
  .then((r) => r.json())
  .then((r) => {
    // Readiness names the models only to the operator (open mode on this machine, or an admin key).
    $('model').textContent = [r.checks.llm.detail, r.checks.embeddings.detail].filter(Boolean).join(' · ');
  })
  .catch(() => {});
enableUploads(needKey);
void conversations.reload();
void loadSuggestions();
if (idFromUrl()) void openConversation(idFromUrl());
question.focus();
