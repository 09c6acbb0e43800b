import { z } from 'zod';
import { ChatResponse, Source } from './chat';
import { ErrorCode } from './errors';

/** The SSE events of a streamed chat, in order: one `sources`, any `token`s, then one `done` or one `error`. */
export const SourcesEvent = z.object({ sources: z.array(Source) }).meta({ id: 'SourcesEvent' });
export const TokenEvent = z.object({ text: z.string() }).meta({ id: 'TokenEvent' });
export const DoneEvent = ChatResponse;
export const ErrorEvent = z.object({ code: ErrorCode, message: z.string() }).meta({ id: 'ErrorEvent' });

export type ChatStreamEvent =
  | { event: 'sources'; data: z.infer<typeof SourcesEvent> }
  | { event: 'token'; data: z.infer<typeof TokenEvent> }
  | { event: 'done'; data: z.infer<typeof DoneEvent> }
  | { event: 'error'; data: z.infer<typeof ErrorEvent> };
