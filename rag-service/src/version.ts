import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_ROOT } from './config.js';

export const SERVICE_VERSION: string = (
  JSON.parse(readFileSync(path.join(SERVICE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
