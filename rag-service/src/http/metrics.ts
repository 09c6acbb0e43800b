import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own so several apps can live in one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
    registers: [this.registry],
  });
  readonly chatAnswers = new Counter({
    name: 'rag_chat_answers_total',
    help: 'Chat answers by outcome (answered, nothing_found, error) and mode (json, stream)',
    labelNames: ['outcome', 'mode'] as const,
    registers: [this.registry],
  });
  readonly retrievalDuration = new Histogram({
    name: 'rag_retrieval_duration_seconds',
    help: 'Time to retrieve passages for one question',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly documentsIndexed = new Counter({
    name: 'rag_documents_indexed_total',
    help: 'Documents written to the index, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly pageEvents = new Counter({
    name: 'rag_page_events_total',
    help: 'Confluence page events from the Forge trigger, by event type and whether they were queued or ignored',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly pageSyncs = new Counter({
    name: 'rag_page_syncs_total',
    help: 'Pages synced because of events, by outcome (indexed, unchanged, removed, out_of_scope, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times every request under its route pattern (not its URL, which would explode the label set). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => {
        const pattern = (req.route as { path?: unknown } | undefined)?.path;
        const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
        end({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }
}
