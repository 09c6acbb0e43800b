/**
 * Client libraries of integrations a deployment may not use, loaded when first needed: each is several
 * megabytes of heap at import (confluence.js v1 7.9 MB, v2 8.3 MB, Qdrant's client 5.2 MB, measured with
 * `node --expose-gc` around the import), which a service without Confluence or Qdrant should not hold.
 * The bundle keeps these as dynamic imports (scripts/build.mjs splits at them).
 */
let v1: Promise<typeof import('confluence.js/v1')> | undefined;
let v2: Promise<typeof import('confluence.js/v2')> | undefined;

export const confluenceV1 = () => (v1 ??= import('confluence.js/v1'));
export const confluenceV2 = () => (v2 ??= import('confluence.js/v2'));
