export * from './limits.js';
export * from './chat.js';
export * from './stream.js';
export * from './errors.js';
export * from './jobs.js';
export * from './index-status.js';
export * from './documents.js';
export * from './health.js';
