// s3rver ships no types: the part the tests use.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class S3rver {
    constructor(options: { directory: string; silent?: boolean; resetOnClose?: boolean });
    /** The Koa app's request handler: S3's REST API over the folder. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
