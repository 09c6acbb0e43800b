export * from './limits';
export * from './chat';
export * from './stream';
export * from './errors';
export * from './jobs';
export * from './index-status';
export * from './documents';
export * from './health';
