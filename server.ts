// The one process: Remix request handler, JSON API and the in-process worker pool.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import { createOidcClient, oidcSettings } from "./app/auth/oidc.server.js";
import { openJobQueue, QueueUnavailableError } from "./app/jobs/open.server.js";
import { createModelPool } from "./app/model/pool.server.js";
import { realizedSummary } from "./app/monitoring/accuracy.server.js";
import { latestAnomalousCount } from "./app/monitoring/anomalies.server.js";
import { degradedCount } from "./app/monitoring/drift-check.server.js";
import { authMode, ConfigError, loadConfig, runsStreamProducer } from "./app/platform/config.server.js";
import { DatabaseUnreachableError } from "./app/platform/db.server.js";
import { createLogger } from "./app/platform/log.server.js";
import { setMetricSources } from "./app/platform/metrics.server.js";
import { MigrationError } from "./app/platform/migrate.server.js";
import { registrySummary } from "./app/registry/summary.server.js";
import { bodyLimitOf, isSeedPath } from "./app/server/api.server.js";
import { apiRequestGuard } from "./app/server/api-guard.server.js";
import { authGate, identityOf } from "./app/server/auth.server.js";
import { apiCors } from "./app/server/cors.server.js";
import { crossSiteGuard } from "./app/server/cross-site.server.js";
import { finalErrorHandler } from "./app/server/error-handler.server.js";
import { httpMetricsMiddleware, labelRoute, routePatterns, STATIC_ROUTE } from "./app/server/http-metrics.server.js";
import { cspNonce, hostCheck, securityHeaders } from "./app/server/http-security.server.js";
import { jobHandlers } from "./app/server/job-handlers.server.js";
import { serveMetrics } from "./app/server/metrics-listener.server.js";
import { mutationRateLimits } from "./app/server/rate-limits.server.js";
import { clientGoneSignal, requestClientKey } from "./app/server/request-budget.server.js";
import { loadHistoryIfEmpty, openConfiguredDatabase, prepareAuth } from "./app/server/startup.server.js";
import { SWAGGER_UI_ASSETS, swaggerUiAssets } from "./app/server/swagger-ui.server.js";
import { openSalesStream } from "./app/stream/open.server.js";
import { StreamUnavailableError } from "./app/stream/port.js";
import { type BackgroundService, launchWorkers } from "./workers/index.js";
import { ingestConsumer } from "./workers/ingest-consumer.js";
import { initialTraining } from "./workers/initial-training.js";
import { jobWorkers } from "./workers/jobs.js";
import { streamProducer } from "./workers/stream-producer.js";

const EXPECTED_ERRORS = [
  ConfigError,
  DatabaseUnreachableError,
  MigrationError,
  StreamUnavailableError,
  QueueUnavailableError,
];

/** Known start-up failures are one line and exit code 1; anything else keeps its stack. */
function fail(err: unknown): never {
  if (EXPECTED_ERRORS.some((E) => err instanceof E)) {
    console.error(`storecast: ${(err as Error).message}`);
  } else {
    console.error("storecast: failed to start:", err);
  }
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const auth = authMode(config);
  const log = createLogger(config);
  const startedAt = new Date();

  const db = await openConfiguredDatabase(config);
  log.info({ database: db.kind, location: db.location }, "database ready");
  // The job queue: BullMQ on Redis with REDIS_URL, in-process otherwise.
  // Before anything listens: with auth on, an admin must exist (or ADMIN_PASSWORD create one).
  const signingKey = await prepareAuth(db, config, auth, log);
  // Single sign-on: the provider is discovered on the first sign-in, so one that is down stops nothing.
  const oidcConfig = oidcSettings(config);
  const oidc = oidcConfig ? createOidcClient(oidcConfig) : undefined;
  if (oidc) log.info({ issuer: oidc.settings.issuer.href }, "auth: single sign-on (OpenID Connect) configured");
  const jobs = await openJobQueue(config, log, db);
  await loadHistoryIfEmpty(db, config, log);
  const models = createModelPool({
    threads: config.MODEL_THREADS || undefined,
    taskTimeoutMs: config.MODEL_TASK_TIMEOUT_MS,
  });
  const workerContext = { config, db, log };
  // The sales stream: Kafka with KAFKA_BROKERS, in-process otherwise (then the producer runs here too).
  const stream = openSalesStream(config, log);
  const services: BackgroundService[] = [ingestConsumer(workerContext, stream)];
  if (runsStreamProducer(config)) services.push(streamProducer(workerContext, stream));
  // Resumes an interrupted train-all; with AUTO_TRAIN, trains every series when no model exists yet.
  services.push(initialTraining(workerContext, jobs));
  services.push(jobWorkers(workerContext, jobs, jobHandlers({ db, models, stream, config, log, jobs })));
  // In the background: the web server listens now, while a consumer may still be joining its group
  // (after a crash, that waits out the dead member's session). /readyz says what is still starting.
  const workers = launchWorkers(workerContext, services);
  // Scrape-time gauges: queue depth from the queue, model CV error from the registry, model tasks from the
  // pool, realized accuracy from forecast_scores.
  setMetricSources({
    jobs,
    models: () => registrySummary(db),
    modelTasks: () => models.stats(),
    degraded: () => degradedCount(db),
    anomalousStores: () => latestAnomalousCount(db),
    realized: () => realizedSummary(db),
    onError: (err, what) => log.debug({ err }, `metrics: ${what} not available`),
  });

  const app = express();
  app.disable("x-powered-by");
  // X-Forwarded-* (client address, https) are believed only from the proxies TRUST_PROXY names.
  app.set("trust proxy", config.TRUST_PROXY);
  // Every request is timed by route pattern (known once the build is loaded, below).
  let routePattern: ((pathname: string) => string) | undefined;
  app.use(httpMetricsMiddleware(() => routePattern));
  // DNS rebinding: a Host this server is not configured for gets 421; then the security headers.
  app.use(hostCheck(config), securityHeaders(config));
  // Prometheus scrapes the app directly (nginx does not expose this path), with METRICS_TOKEN or on METRICS_PORT.
  const metrics = await serveMetrics(app, config, log);
  let stopping = false;
  app.use((_req, res, next) => {
    // While draining, tell keep-alive clients not to reuse the connection.
    if (stopping) res.setHeader("Connection", "close");
    next();
  });
  // A browser request that changes state must come from our own pages (or a CORS_ORIGINS origin).
  app.use(crossSiteGuard(config.CORS_ORIGINS));
  // CORS_ORIGINS: other origins' pages may call the API; their preflight is answered here, before Remix.
  const cors = apiCors(config.CORS_ORIGINS);
  if (cors) app.use("/api", cors);
  // Any other OPTIONS (no CORS, an origin not allowed): Remix would run the route's loader for it.
  app.options("/api/*", (_req, res) => {
    res.status(204).end();
  });
  // Swagger UI's script and stylesheet, from the npm package: the /api/docs pages need no CDN.
  app.use(
    SWAGGER_UI_ASSETS,
    swaggerUiAssets((res) => labelRoute(res, STATIC_ROUTE)),
  );
  // JSON API bodies are at most 1 MB (the reference batch forecast 16 MB): a larger declared
  // Content-Length is refused before it is read (app/server/api.server.ts also counts chunked bodies).
  app.use("/api", (req, res, next) => {
    const limit = bodyLimitOf(req.originalUrl.split("?")[0]!);
    if (Number(req.headers["content-length"] ?? 0) <= limit) return next();
    req.resume(); // discard the body so the client reads the answer instead of a reset connection
    const error = `request body too large: at most ${limit} bytes`;
    const details = { field: "body", limitBytes: limit };
    res.status(413).json(isSeedPath(req.originalUrl) ? { detail: error, ...details } : { error, details });
  });
  // Methods Remix does not route and its `?_data=` protocol: JSON 4xx, not Remix's "Unexpected Server Error".
  app.use("/api", apiRequestGuard());
  // RATE_LIMIT_MUTATIONS per client and minute on every request that changes something (429 beyond).
  const rateLimits = mutationRateLimits(config, log);

  let build: ServerBuild | (() => Promise<ServerBuild>);
  let closeVite = async () => {};
  if (config.NODE_ENV === "development") {
    const vite = await import("vite");
    const devServer = await vite.createServer({ server: { middlewareMode: true } });
    app.use(devServer.middlewares);
    build = () => devServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
    closeVite = () => devServer.close();
  } else {
    const serverBuild = path.resolve("build/server/index.js");
    if (!existsSync(serverBuild)) {
      throw new ConfigError("no production build at build/server/index.js: run `npm run build` (npm start does)");
    }
    const setHeaders = (res: express.Response) => labelRoute(res, STATIC_ROUTE);
    app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y", setHeaders }));
    app.use(express.static("build/client", { maxAge: "1h", setHeaders }));
    build = (await import(pathToFileURL(serverBuild).href)) as ServerBuild;
  }
  routePattern = routePatterns(typeof build === "function" ? (await build()).routes : build.routes);

  // Who is asking (session cookie, bearer token, or anyone with auth off); the static files above are public.
  app.use(authGate({ mode: auth, db, key: signingKey }));
  // Counted under the client key the gate just set (the user or token, else the address).
  app.use(rateLimits);

  app.all(
    "*",
    createRequestHandler({
      build,
      mode: config.NODE_ENV === "development" ? "development" : "production",
      getLoadContext: (req, res) => ({
        ...identityOf(res),
        authMode: auth,
        signingKey,
        singleSignOn: auth === "on" && oidc !== undefined,
        oidc,
        config,
        db,
        models,
        jobs,
        log,
        startedAt,
        stream,
        services: workers.states,
        shuttingDown: () => stopping,
        cspNonce: cspNonce(res),
        // The fair share of the model threads is kept per client (app/server/request-budget.server.ts).
        clientKey: requestClientKey(req, res),
        clientGone: clientGoneSignal(res),
      }),
    }),
  );
  // Last: an undecodable path (`/%FF`) or a middleware's error, answered without a stack or a path.
  app.use(finalErrorHandler(log));

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once("error", reject);
  });
  log.info(
    { url: `http://localhost:${config.PORT}`, database: db.kind, auth, metrics: metrics.describe },
    "storecast is up",
  );
  workers.started.then(
    () => log.info({ services: workers.services }, "every background service started"),
    // A service that cannot start (Kafka or Redis unreachable) stops the process, as before it listened.
    (err: unknown) => fail(err),
  );

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: no new connections, finishing requests in flight");
    const force = setTimeout(() => {
      log.warn(
        { timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
        "requests still open after the shutdown timeout: closing them",
      );
      server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_MS);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await metrics.close();
    clearTimeout(force);
    await workers.stop();
    await jobs.close(config.SHUTDOWN_TIMEOUT_MS);
    await stream.close();
    await rateLimits.close();
    await models.close();
    await closeVite();
    await db.close();
    log.info("stopped cleanly");
    // The pretty-printing transport runs in a thread: let it write the last lines first.
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch(fail);
