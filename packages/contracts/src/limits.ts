/** Limits the contract promises to every client; the service enforces them, the UIs may pre-check them. */
export const MESSAGE_MAX_CHARS = 4000;
export const HISTORY_MAX_TURNS = 20;
export const SPACE_KEYS_MAX = 50;
