// The web chat page: plain ES module, no build step. It talks to POST /api/v1/chat with
// `Accept: text/event-stream` and renders the contract's events: sources, token…, done | error.

const KEY_STORAGE = 'kb.apiKey';
const MAX_HISTORY = 20;

const $ = (id) => document.getElementById(id);
const messages = $('messages');
const form = $('ask-form');
const question = $('question');
const send = $('send');
const keyForm = $('key-form');

let history = [];
let conversationId;
let pendingRetry;

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

function element(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  Object.assign(el, props);
  el.append(...children);
  return el;
}

/** Answer text with its [n] markers as links to the numbered sources below it. */
function renderAnswer(container, text, anchorPrefix) {
  container.replaceChildren();
  for (const part of text.split(/(\[\d+(?:,\s*\d+)*\])/)) {
    const m = /^\[(\d+(?:,\s*\d+)*)\]$/.exec(part);
    if (!m) {
      container.append(part);
      continue;
    }
    const sup = element('sup', { className: 'cite' }, '[');
    m[1].split(',').forEach((n, i) => {
      if (i) sup.append(', ');
      sup.append(element('a', { href: `#${anchorPrefix}-${n.trim()}` }, n.trim()));
    });
    sup.append(']');
    container.append(sup);
  }
}

function renderSources(list, sources, anchorPrefix) {
  list.replaceChildren();
  for (const s of sources) {
    const isLink = /^https?:\/\//.test(s.url);
    const title = isLink
      ? element('a', { href: s.url, target: '_blank', rel: 'noopener noreferrer' }, s.title)
      : element('span', { title: s.url }, s.title);
    const item = element(
      'li',
      { id: `${anchorPrefix}-${s.n}`, value: s.n, className: s.cited ? 'cited' : 'uncited' },
      title,
    );
    if (!isLink && s.url) item.append(' ', element('span', { className: 'muted' }, `(${s.url})`));
    item.append(element('p', { className: 'snippet' }, s.snippet));
    list.append(item);
  }
  list.hidden = sources.length === 0;
}

function addMessage(role, text) {
  $('empty').hidden = true;
  const li = element('li', { className: `message ${role}` });
  const body = element('p', { className: 'text' });
  body.textContent = text;
  li.append(body);
  messages.append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
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

async function ask(text) {
  const li = addMessage('assistant pending', '');
  const body = li.querySelector('.text');
  const anchorPrefix = `src-${messages.children.length}`;
  const sourceList = element('ol', { className: 'sources', hidden: true });
  li.append(sourceList);
  let answer = '';
  send.disabled = true;
  try {
    const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    if (apiKey()) headers['X-API-Key'] = apiKey();
    const res = await fetch('api/v1/chat', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        message: text,
        history: history.slice(-MAX_HISTORY),
        conversationId,
        context: { product: 'web' },
      }),
    });
    if (res.status === 401) {
      li.remove();
      sessionStorage.removeItem(KEY_STORAGE);
      pendingRetry = () => ask(text);
      keyForm.hidden = false;
      $('api-key').focus();
      return;
    }
    if (!res.ok || !res.body) {
      const err = await res.json().catch(() => ({}));
      throw new Error(err?.error?.message ?? `the service answered ${res.status}`);
    }
    let finished = false;
    await readEvents(res.body, (event, data) => {
      if (event === 'sources') renderSources(sourceList, data.sources, anchorPrefix);
      else if (event === 'token') {
        answer += data.text;
        body.textContent = answer;
      } else if (event === 'done') {
        finished = true;
        conversationId = data.conversationId;
        renderAnswer(body, data.answer, anchorPrefix);
        renderSources(sourceList, data.sources, anchorPrefix);
        history.push({ role: 'user', content: text }, { role: 'assistant', content: data.answer });
        li.classList.remove('pending');
      } else if (event === 'error') {
        finished = true;
        showError(li, data.message, () => ask(text));
      }
    });
    if (!finished) showError(li, 'The answer was cut off.', () => ask(text));
  } catch (err) {
    showError(li, `Could not get an answer: ${err.message}`, () => ask(text));
  } finally {
    send.disabled = false;
    li.scrollIntoView({ block: 'end' });
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || send.disabled) return;
  question.value = '';
  addMessage('user', text);
  void ask(text);
});

question.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
  $('api-key').value = '';
  keyForm.hidden = true;
  const retry = pendingRetry;
  pendingRetry = undefined;
  retry?.();
});

$('new-chat').addEventListener('click', () => {
  history = [];
  conversationId = undefined;
  messages.replaceChildren();
  $('empty').hidden = false;
  question.focus();
});

fetch('readyz')
  .then((r) => r.json())
  .then((r) => {
    // Readiness names the models only to the operator (open mode on this machine, or an admin key).
    $('model').textContent = [r.checks.llm.detail, r.checks.embeddings.detail].filter(Boolean).join(' · ');
  })
  .catch(() => {});
question.focus();
