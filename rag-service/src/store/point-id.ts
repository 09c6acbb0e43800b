import { createHash } from 'node:crypto';

/**
 * Qdrant accepts only unsigned integers or UUIDs as point ids; ours are strings like `file:guide.md#3`.
 * A name-based UUID (version 5 layout over SHA-1) maps each to the same id every time, so upserts stay
 * idempotent and a chunk can be addressed without a lookup table.
 */
export function pointId(key: string): string {
  const hash = createHash('sha1').update(`kb:${key}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
