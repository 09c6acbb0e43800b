// Thumbs up / down on a stored answer, the same choices as the Forge panels: thumbs down asks for a reason
// and an optional comment. What the page shows afterwards is what the service stored (its reply), so
// a rating that did not save never looks saved.

import { ApiError, apiJson } from './api.js';
import { element } from './dom.js';

const REASONS = [
  ['wrong', 'Wrong'],
  ['outdated', 'Outdated'],
  ['incomplete', 'Incomplete'],
  ['not_relevant', 'Not relevant'],
  ['other', 'Other'],
];
const COMMENT_MAX = 1000;
const reasonLabel = (value) => REASONS.find(([v]) => v === value)?.[1] ?? value;

let formCount = 0;

/** A thumb and its word: the word names the button (the emoji alone reads differently, or not at all). */
function thumb(className, emoji, label) {
  const icon = element('span', {}, emoji);
  icon.setAttribute('aria-hidden', 'true');
  return element('button', { type: 'button', className: `rate ${className}` }, icon, ` ${label}`);
}

function describe(feedback) {
  if (!feedback) return '';
  if (feedback.rating === 'up') return 'You rated this answer helpful.';
  let text = 'You rated this answer not helpful';
  if (feedback.reason) text += `: ${reasonLabel(feedback.reason)}`;
  if (feedback.comment) text += ` — “${feedback.comment}”`;
  return `${text}.`;
}

/**
 * The rating controls for one answer. `feedback` is the stored rating (or null); `needKey(retry)` is
 * called when the service wants an API key first.
 */
export function ratingControls(messageId, feedback, { needKey }) {
  let stored = feedback;
  const name = `reason-${++formCount}`;
  const up = thumb('up', '👍', 'Helpful');
  const down = thumb('down', '👎', 'Not helpful');
  const status = element('span', { className: 'rating-status muted' });
  status.setAttribute('role', 'status');

  const reasons = element('fieldset', {}, element('legend', {}, 'What was wrong? (optional)'));
  for (const [value, label] of REASONS) {
    reasons.append(element('label', {}, element('input', { type: 'radio', name, value }), ` ${label}`));
  }
  const comment = element('textarea', { rows: 2, maxLength: COMMENT_MAX });
  const submit = element('button', { type: 'submit' }, 'Send feedback');
  const cancel = element('button', { type: 'button', className: 'link' }, 'Cancel');
  const form = element(
    'form',
    { className: 'reason-form', hidden: true },
    reasons,
    element('label', { className: 'comment' }, 'Comment (optional)', comment),
    element('div', { className: 'actions' }, submit, cancel),
  );
  form.setAttribute('aria-label', 'Why was this answer not helpful?');

  const group = element('div', { className: 'rating' }, up, down, status, form);
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Rate this answer');

  function show() {
    up.setAttribute('aria-pressed', String(stored?.rating === 'up'));
    down.setAttribute('aria-pressed', String(stored?.rating === 'down'));
    status.classList.remove('error');
    status.textContent = describe(stored);
  }

  async function send(body) {
    for (const b of [up, down, submit]) b.disabled = true;
    try {
      stored = await apiJson(`api/v1/messages/${encodeURIComponent(messageId)}/feedback`, {
        method: 'POST',
        body,
      });
      form.hidden = true;
      show();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        needKey(() => send(body));
        return;
      }
      status.classList.add('error');
      status.textContent = `The rating was not saved: ${err.message}`;
    } finally {
      for (const b of [up, down, submit]) b.disabled = false;
    }
  }

  up.addEventListener('click', () => void send({ rating: 'up' }));
  down.addEventListener('click', () => {
    // Opened on the stored reason and comment, so changing a thumbs down starts from what was said.
    const current = stored?.rating === 'down' ? stored : undefined;
    for (const input of reasons.querySelectorAll('input')) input.checked = input.value === current?.reason;
    comment.value = current?.comment ?? '';
    form.hidden = false;
    (reasons.querySelector('input:checked') ?? reasons.querySelector('input')).focus();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const reason = reasons.querySelector('input:checked')?.value;
    const text = comment.value.trim();
    void send({ rating: 'down', ...(reason ? { reason } : {}), ...(text ? { comment: text } : {}) });
  });
  const close = () => {
    form.hidden = true;
    down.focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });

  show();
  return group;
}
