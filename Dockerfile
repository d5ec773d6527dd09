# syntax=docker/dockerfile:1
# One image for every storecast process: the app (default command) and, with another command,
# the producer (docker-compose.yml) or any script. Node 20 on Debian slim, non-root, production
# dependencies only, Prisma Client generated at build time.
#
#   docker build -t storecast .
#   docker run -p 3000:3000 storecast                      # embedded defaults: PGlite in /app/data
#   docker run storecast node --import tsx scripts/producer.ts --help

# Pinned to an exact release: a rebuild gets the same Node (raise it on purpose, with the CI image).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- every dependency, for the build ------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts off: the only one we need (postinstall: prisma generate) runs below, once the
# schema is there; nothing else relies on one.
RUN npm ci --ignore-scripts --no-audit --no-fund

# --- Prisma Client and the Remix production build ------------------------------------------------
FROM deps AS build
COPY . .
RUN npm run postinstall && npm run build

# --- production dependencies only, cut to what the app loads -----------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# Installed without scripts: take the patched packages (patches/) from the build.
COPY --from=build /app/node_modules/@remix-run/router ./node_modules/@remix-run/router
# npm keeps the Prisma CLI (an optional peer of @prisma/client) and more: 516 -> 129 MB (ADR 0044).
COPY --from=build /app/app/generated ./app/generated
COPY scripts/container/prune-runtime-deps.mjs /tmp/
RUN node /tmp/prune-runtime-deps.mjs && rm -rf app /tmp/prune-runtime-deps.mjs

# --- the runtime image ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: glibc's per-thread malloc arenas keep what the model threads and the history load
# freed; two hold the process ~130 MB smaller (docs/decisions/0041).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    PGLITE_DIR=/app/data/pglite
WORKDIR /app
# Code and dependencies belong to root and are read-only for the app's user; only /app/data is its.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json server.ts ./
COPY app ./app
COPY workers ./workers
COPY scripts ./scripts
COPY prisma ./prisma
COPY --from=build /app/app/generated ./app/generated
COPY --from=build /app/build ./build
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Liveness only (the process answers); readiness (database, Redis, Kafka) is /readyz, for load
# balancers and Kubernetes. The first start may load history for a while before it listens.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# server.ts handles SIGTERM: stops accepting, drains requests, hands jobs back, commits the consumer.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "server.ts"]
