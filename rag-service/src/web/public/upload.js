// Adding a document from the page: drop a file anywhere on it, or choose one with the Add document button
// (the keyboard's way). The file goes to POST /api/v1/documents and is indexed at once; the page says what
// became of it, in words, and the next question can draw on it.

import { ApiError, apiUpload } from './api.js';
import { $ } from './dom.js';

/** The service's limit (UPLOAD_MAX_BYTES): refused here first, so a large file is not sent for nothing. */
const MAX_BYTES = 10 * 1024 * 1024;

const status = $('upload-status');
const picker = $('upload-file');
const overlay = $('drop-overlay');

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
  status.hidden = !text;
}

function send(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  return apiUpload('api/v1/documents', form);
}

/** Uploads `file` and says how it went; asks for a key (and tries again) when the service wants one. */
async function upload(file, needKey) {
  if (file.size > MAX_BYTES) {
    say(`${file.name} is too large: documents of up to 10 MB can be added.`, true);
    return;
  }
  say(`Adding ${file.name}…`);
  try {
    const result = await send(file);
    const passages = `${result.chunks} passage${result.chunks === 1 ? '' : 's'}`;
    say(
      result.status === 'unchanged'
        ? `${result.title} is already in the knowledge base, unchanged.`
        : `Added ${result.title} (${passages}): ask about it.`,
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      say('');
      needKey(() => upload(file, needKey));
      return;
    }
    say(`${file.name} was not added: ${err.message}`, true);
  }
}

const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');

/** Clears the status line: a new conversation starts without the last upload's news. */
export function clearUploadStatus() {
  say('');
}

/** Wires the button and the page-wide drop target. */
export function enableUploads(needKey) {
  $('upload-button').addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    for (const file of picker.files) void upload(file, needKey);
    picker.value = '';
  });
  // dragenter/dragleave fire for every child crossed: count them, so the overlay does not flicker.
  let depth = 0;
  document.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    // Not the browser's own handling, which would navigate away to the file.
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    for (const file of event.dataTransfer.files) void upload(file, needKey);
  });
}
