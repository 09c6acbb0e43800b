import { randomUUID } from 'node:crypto';
import express, { type Express, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { ChatService } from '../chat/chat-service.js';
import type { Config } from '../config.js';
import type { JobRegistry } from '../ingest/jobs.js';
import type { UploadService } from '../ingest/uploads.js';
import type { VectorStore } from '../store/vector-store.js';
import { WEB_DIR } from '../web/location.js';
import { authorizer, callerOf, isOpen, operatorCheck } from './auth.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import type { Metrics } from './metrics.js';
import { RateLimiter, authThen, throttle } from './rate-limit.js';
import { redactQuerySecrets } from './redact-url.js';
import { adminRoutes } from './routes/admin.js';
import { apiDocsRoutes } from './routes/api-docs.js';
import { suggestionRoutes } from './routes/suggestions.js';
import { vendorAssetRoutes } from './routes/vendor-assets.js';
import { chatRoutes } from './routes/chat.js';
import { conversationRoutes } from './routes/conversations.js';
import { insightsRoutes } from './routes/insights.js';
import type { InsightsStore } from '../insights/insights-store.js';
import type { ConversationStore } from '../history/conversation-store.js';
import { documentRoutes } from './routes/documents.js';
import { documentViewRoutes } from './routes/document-view.js';
import { systemRoutes, type ReadinessProbe } from './routes/system.js';
import { hostGuard, refuseCrossSite } from './same-origin.js';
import type { SyncSource } from '@kb/contracts';
import type { PageAccess } from '../access/page-access.js';
import type { PageEventQueue } from '../ingest/page-events.js';
import { forgeEventRoutes } from './routes/forge-events.js';

export { JSON_BODY_LIMIT } from './json-body.js';
const REQUEST_ID = /^[\w.:-]{1,100}$/;
const QUIET_ROUTES = /^\/(healthz|readyz|metrics|docs\/assets|assets)\b/;

export interface AppDeps {
  config: Config;
  log: Logger;
  chat: ChatService;
  uploads: UploadService;
  jobs: JobRegistry;
  store: VectorStore;
  metrics: Metrics;
  readiness: ReadinessProbe;
  defaultSource: SyncSource;
  /** Who may see which Confluence page: its notices go on the admin status. */
  access: PageAccess;
  /** The callers' conversations and feedback; absent with HISTORY=off. */
  conversations?: ConversationStore;
  /** What users ask and what goes unanswered, for admins; absent with HISTORY=off. */
  insights?: InsightsStore;
  /** Page events from the Forge trigger; absent without Confluence. */
  pageEvents?: PageEventQueue;
  version: string;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Which X-Forwarded-For hops to believe: the client address keys the failed-authentication budget, so
  // behind a load balancer it must be the client's, not the balancer's (which every caller would share).
  app.set('trust proxy', deps.config.http.trustProxy);

  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => QUIET_ROUTES.test(req.url) },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // The account a Forge call was made for, so operators can trace a user's questions (never a token).
      customProps: (_req, res) => {
        const caller = callerOf(res as Response);
        return caller?.kind === 'forge' ? { accountId: caller.accountId ?? 'unknown' } : {};
      },
      serializers: {
        // A client may put a key in the URL (`?api_key=`); logs keep the parameter, never its value.
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: redactQuerySecrets(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          // Served over plain HTTP too (a dev stack, a name in ALLOWED_HOSTS): upgrading the page's own
          // requests to HTTPS would break it there.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  app.use(deps.metrics.middleware());
  const { config } = deps;
  if (isOpen(config.auth) && !config.http.allowedHosts.includes('*')) {
    app.use(hostGuard(config.http.allowedHosts));
  }
  app.use('/api', refuseCrossSite);

  // No body parser here: each router parses its body after its `auth`, so nothing is read for a stranger.
  const limits = config.rateLimits;
  const authFailures = new RateLimiter(limits.authFailuresPerMinute);
  const auth = authorizer(config.auth, authFailures);
  const chatAuth = authThen(auth, throttle(new RateLimiter(limits.chatPerMinute), 'questions'));
  const uploadAuth = authThen(auth, throttle(new RateLimiter(limits.uploadsPerMinute), 'uploads'));
  app.use(systemRoutes(deps.readiness, deps.metrics, operatorCheck(config, authFailures)));
  app.use(apiDocsRoutes(deps.version, WEB_DIR));
  app.use(vendorAssetRoutes());
  app.use(chatRoutes(deps.chat, chatAuth, deps.metrics, config.access.apiKeyConfluenceSpaces));
  app.use(suggestionRoutes(deps.store, auth));
  app.use(documentRoutes(deps.uploads, uploadAuth, deps.metrics));
  app.use(documentViewRoutes(deps.store, auth));
  app.use(conversationRoutes(deps.conversations, auth));
  app.use(insightsRoutes(deps.insights, auth));
  app.use(
    adminRoutes(
      {
        jobs: deps.jobs,
        store: deps.store,
        embeddingsId: deps.chat.modelInfo.embeddings,
        defaultSource: deps.defaultSource,
        notices: () => deps.access.notices(),
      },
      auth,
    ),
  );
  app.use(forgeEventRoutes(deps.pageEvents, auth));
  app.use('/api', notFoundHandler);
  app.use(express.static(WEB_DIR, { index: 'index.html', maxAge: '5m' }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
