import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The static chat page's folder: plain HTML, CSS and JavaScript, served as they are (no build step). */
export const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
