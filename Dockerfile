# syntax=docker/dockerfile:1
# The RAG service: built with the same command CI runs (pnpm --filter @kb/rag-service build), shipped as
# the bundle plus its production dependencies, run as a non-root user on Node 22.

FROM node:22-bookworm-slim AS build
ENV CI=true
RUN npm install -g pnpm@9.15.9
WORKDIR /repo
# Manifests first: the dependency layer is reused until they change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
COPY packages/contracts/package.json packages/contracts/
COPY rag-service/package.json rag-service/
COPY forge-app/package.json forge-app/
RUN pnpm install --frozen-lockfile --filter @kb/rag-service...
COPY packages/contracts packages/contracts
COPY rag-service rag-service
RUN pnpm --filter @kb/rag-service build \
 && pnpm --filter @kb/rag-service deploy --prod /out

FROM node:22-bookworm-slim
# MALLOC_ARENA_MAX: LanceDB's threads each take a malloc arena otherwise (about 10 MB of idle RSS more;
# docs/benchmarks.md, "Memory at idle").
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /out ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A 1 MB young generation: 28–52 MB less RSS at idle and ~35 MB less at peak, throughput within noise
# (docs/benchmarks.md, "Memory at idle").
CMD ["node", "--max-semi-space-size=1", "dist/main.js"]
