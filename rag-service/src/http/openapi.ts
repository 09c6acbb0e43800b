import { z } from 'zod';
import '@kb/contracts';

type Method = 'get' | 'post' | 'delete';

interface RouteDoc {
  method: Method;
  path: string;
  summary: string;
  tag: 'chat' | 'conversations' | 'documents' | 'admin' | 'forge' | 'system';
  /** The body's schema, and for JSON a body that works as it is ("Try it out" sends it). */
  request?: { schema: string; contentType?: string; example?: Record<string, unknown> };
  responses: Record<number, { description: string; schema?: string; contentType?: string }>;
  secured?: boolean;
  stream?: boolean;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'error', schema: 'ErrorBody' }]));

/** Every route of the service; the OpenAPI document is generated from this table and the contract schemas. */
export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/v1/chat',
    tag: 'chat',
    summary:
      'Ask a question. JSON by default; with `Accept: text/event-stream` an SSE stream of `sources`, `token`… and `done` or `error` events.',
    request: { schema: 'ChatRequest', example: { message: 'How do I reindex the documents folder?' } },
    responses: {
      200: { description: 'the answer with its sources', schema: 'ChatResponse' },
      ...errors(400, 401, 403, 413, 429, 503),
    },
    secured: true,
    stream: true,
  },
  {
    method: 'get',
    path: '/api/v1/suggestions',
    tag: 'chat',
    summary:
      'A few questions to start from, drawn from the titles of the documents folders (never from Confluence or uploads); the fullest documents first.',
    responses: {
      200: { description: 'up to four suggestions', schema: 'SuggestionList' },
      ...errors(401, 403),
    },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/conversations',
    tag: 'conversations',
    summary:
      "The caller's own conversations, most recently active first; `?limit=` (1–100, default 20) and `?cursor=` (the previous page's `nextCursor`).",
    responses: {
      200: { description: 'one page of conversations', schema: 'ConversationList' },
      ...errors(400, 401, 403, 404, 503),
    },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/conversations/{id}',
    tag: 'conversations',
    summary:
      "One of the caller's conversations with every message and the caller's feedback; another caller's is a 404.",
    responses: {
      200: { description: 'the conversation', schema: 'Conversation' },
      ...errors(401, 403, 404, 503),
    },
    secured: true,
  },
  {
    method: 'delete',
    path: '/api/v1/conversations/{id}',
    tag: 'conversations',
    summary:
      "Delete one of the caller's conversations with its messages and feedback; another caller's is a 404.",
    responses: { 204: { description: 'deleted' }, ...errors(401, 403, 404, 503) },
    secured: true,
  },
  {
    method: 'post',
    path: '/api/v1/messages/{id}/feedback',
    tag: 'conversations',
    summary:
      "Rate an answer in one of the caller's conversations (up or down, with a reason and a comment); sent again, it replaces the earlier rating.",
    request: {
      schema: 'FeedbackRequest',
      example: { rating: 'down', reason: 'outdated', comment: 'The steps describe the old admin page.' },
    },
    responses: {
      200: { description: 'the stored feedback', schema: 'Feedback' },
      ...errors(400, 401, 403, 404, 413, 503),
    },
    secured: true,
  },
  {
    method: 'post',
    path: '/api/v1/documents',
    tag: 'documents',
    summary: 'Upload one document (.md, .txt, .html, .pdf; multipart field `file`) and index it now.',
    request: { schema: 'Upload', contentType: 'multipart/form-data' },
    responses: {
      201: { description: 'indexed', schema: 'DocumentUploadResult' },
      200: { description: 'already indexed with the same content', schema: 'DocumentUploadResult' },
      ...errors(400, 401, 403, 413, 429),
    },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/documents/{id}',
    tag: 'documents',
    summary:
      'A source opened from an answer: a document\'s indexed text, section by section (the id is a source id\'s part before "#", such as `file:guides/setup.md`, encoded or not). At most 200 sections, from a little before `?around=` (a section\'s ordinal, the number after "#"). Documents folders, the bucket and uploads only; Confluence pages open in Confluence.',
    responses: {
      200: { description: 'the document', schema: 'DocumentView' },
      ...errors(400, 401, 403, 404),
    },
    secured: true,
  },
  {
    method: 'post',
    path: '/api/v1/admin/reindex',
    tag: 'admin',
    summary: 'Start a sync job; 409 with the running job id if one runs.',
    request: { schema: 'ReindexRequest', example: { source: 'files', full: false } },
    responses: { 202: { description: 'started', schema: 'JobAccepted' }, ...errors(400, 401, 403, 409) },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/admin/jobs',
    tag: 'admin',
    summary: 'Recent sync jobs, newest first.',
    responses: { 200: { description: 'jobs', schema: 'JobList' }, ...errors(401, 403) },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/admin/jobs/{id}',
    tag: 'admin',
    summary: 'One job with its progress.',
    responses: { 200: { description: 'the job', schema: 'Job' }, ...errors(401, 403, 404) },
    secured: true,
  },
  {
    method: 'post',
    path: '/api/v1/admin/jobs/{id}/cancel',
    tag: 'admin',
    summary: 'Stop a running job cleanly.',
    responses: { 202: { description: 'cancelling', schema: 'Job' }, ...errors(401, 403, 404, 409) },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/admin/index',
    tag: 'admin',
    summary:
      'What is indexed: documents, chunks, counts per source and space, last sync, store and embeddings.',
    responses: { 200: { description: 'index status', schema: 'IndexStatus' }, ...errors(401, 403) },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/admin/insights',
    tag: 'admin',
    summary:
      'What users asked over `?days=` (digits, 1–365, default 30): questions, conversations, users, answered and unanswered, feedback and its reasons, per day, content gaps (unanswered and rated-down questions grouped by meaning), the most cited sources, questions per space and product. A Forge admin sees their own installation; 404 with HISTORY=off.',
    responses: {
      200: { description: 'the insights', schema: 'Insights' },
      ...errors(400, 401, 403, 404, 503),
    },
    secured: true,
  },
  {
    method: 'get',
    path: '/api/v1/admin/insights/questions.csv',
    tag: 'admin',
    summary:
      'The questions of the last `?days=` (digits, 1–365, default 30) as CSV: when, the question, product, space, answered, rating and reason.',
    responses: {
      200: { description: 'the questions', contentType: 'text/csv' },
      ...errors(400, 401, 403, 404, 503),
    },
    secured: true,
  },
  {
    method: 'post',
    path: '/api/v1/forge/events',
    tag: 'forge',
    summary:
      'A Confluence page event forwarded by the Forge app’s trigger (Forge token only): the page is re-synced within seconds, a trashed one removed, a permissions change drops cached access decisions.',
    request: {
      schema: 'ForgePageEvent',
      example: {
        eventType: 'avi:confluence:updated:page',
        content: { id: '123456', type: 'page', space: { key: 'ENG' } },
      },
    },
    responses: {
      202: { description: 'queued, or ignored with the reason', schema: 'ForgeEventAccepted' },
      ...errors(400, 401, 403, 413, 429),
    },
    secured: true,
  },
  {
    method: 'get',
    path: '/healthz',
    tag: 'system',
    summary: 'Liveness.',
    responses: { 200: { description: 'alive', schema: 'Health' } },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'system',
    summary:
      'Readiness of the store, the language model and the embeddings; 503 unless usable. Each check’s `detail` only for an admin key (or the local operator in open mode).',
    responses: {
      200: { description: 'usable', schema: 'Readiness' },
      503: { description: 'not usable', schema: 'Readiness' },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics.',
    responses: { 200: { description: 'metrics in the Prometheus text format', contentType: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'system',
    summary: 'This document.',
    responses: { 200: { description: 'OpenAPI 3 document', contentType: 'application/json' } },
  },
];

function componentSchemas(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'openapi-3.0',
    uri: (id) => `#/components/schemas/${id}`,
    io: 'input',
    unrepresentable: 'any',
  });
  const clean = Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => {
      const { $id: _id, $schema: _schema, ...rest } = s as Record<string, unknown>;
      return [id, rest];
    }),
  );
  clean.Upload = {
    type: 'object',
    properties: { file: { type: 'string', format: 'binary' } },
    required: ['file'],
  };
  return clean;
}

/** A route's first sentence as plain text: no `code` marks, which a summary would show literally. */
export function plainSummary(text: string): string {
  let depth = 0;
  let end = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && '.;:'.includes(c) && (i + 1 === text.length || text[i + 1] === ' ')) {
      end = i;
      break;
    }
  }
  return text.slice(0, end).replace(/`/g, '');
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const responses = Object.fromEntries(
      Object.entries(r.responses).map(([status, res]) => {
        const content: Record<string, unknown> = {};
        if (res.schema) content[res.contentType ?? 'application/json'] = { schema: ref(res.schema) };
        else if (res.contentType) content[res.contentType] = { schema: { type: 'string' } };
        if (r.stream && status === '200') content['text/event-stream'] = { schema: { type: 'string' } };
        return [
          status,
          { description: res.description, ...(Object.keys(content).length ? { content } : {}) },
        ];
      }),
    );
    paths[r.path] ??= {};
    paths[r.path]![r.method] = {
      // Swagger UI shows a summary as plain text and a description as Markdown: the first sentence
      // without its code marks above, the whole text below.
      summary: plainSummary(r.summary),
      description: r.summary,
      tags: [r.tag],
      ...(params.length ? { parameters: params } : {}),
      ...(r.request
        ? {
            requestBody: {
              required: r.request.contentType === 'multipart/form-data',
              content: {
                [r.request.contentType ?? 'application/json']: {
                  schema: ref(r.request.schema),
                  ...(r.request.example ? { example: r.request.example } : {}),
                },
              },
            },
          }
        : {}),
      responses,
      ...(r.secured ? { security: [{ apiKey: [] }, { forgeInvocationToken: [] }, {}] } : {}),
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Knowledge assistant RAG service',
      version,
      description:
        'Answers questions from the knowledge base with cited sources. Errors are `ErrorBody` JSON.',
    },
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        forgeInvocationToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
