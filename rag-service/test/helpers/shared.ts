import path from 'node:path';
import { SERVICE_ROOT } from '../../src/config.js';

/** `../shared` beside the checkout (specs, fixtures, eval sets), or SHARED_DIR. Tests read it in place. */
export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(SERVICE_ROOT, '..', '..', 'shared');
