/**
 * Per-client rate limits on mutating requests: every method but GET, HEAD and OPTIONS (and the POSTs
 * that only ask for a forecast), to the API and to the pages' actions alike, RATE_LIMIT_MUTATIONS a minute per client key (0 = off). Counted by
 * rate-limiter-flexible in Redis with REDIS_URL, so every replica shares a client's budget, and in
 * this process otherwise. Beyond it: 429 with Retry-After and an error naming the limit, in the shape
 * of the path (FastAPI's `{"detail"}` under the reference routes, `{"error", "details"}` elsewhere, a
 * plain page for a form posted by a browser without JavaScript).
 */
import type { Request, RequestHandler, Response } from "express";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../platform/config.server.js";
import { isSeedPath } from "./api.server.js";
import { requestClientKey } from "./request-budget.server.js";

/** Methods that change nothing: never counted. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * POSTs that only ask: ad-hoc forecasts compute and store nothing. Their cost is bounded by the
 * request budgets instead (the forecast window, the batch cap, the fair share of the model threads).
 */
const ASKING_POSTS = [/^\/api\/forecasts\/[^/]+\/[^/]+\/?$/, /^\/api\/forecasters\/forecast\/?$/];

/** Whether a request changes something, and so counts against RATE_LIMIT_MUTATIONS. */
export function isMutation(method: string, path: string): boolean {
  if (SAFE_METHODS.has(method)) return false;
  return !(method === "POST" && ASKING_POSTS.some((p) => p.test(path)));
}

/** The window the budget is counted in (RATE_LIMIT_MUTATIONS is per minute). */
export const WINDOW_SECONDS = 60;

/** The variable the answers name, so a client knows which limit it hit. */
export const LIMIT_NAME = "RATE_LIMIT_MUTATIONS";

export interface LimiterOptions {
  /** Requests a client may make per minute (at least 1). */
  perMinute: number;
  /** With a Redis client, the count lives in Redis (shared by replicas); without, in this process. */
  redis?: Redis;
  /** Redis key prefix: replicas sharing it share the budgets. */
  keyPrefix?: string;
}

/**
 * The limiter: RateLimiterRedis on `redis`, or RateLimiterMemory. The Redis one falls back to an
 * in-process count while Redis cannot answer (its insurance limiter), so an outage neither opens the
 * gate entirely nor refuses every request.
 */
export function createMutationLimiter(opts: LimiterOptions): RateLimiterAbstract {
  const common = { points: opts.perMinute, duration: WINDOW_SECONDS, keyPrefix: opts.keyPrefix ?? "storecast:rl" };
  const memory = new RateLimiterMemory(common);
  if (!opts.redis) return memory;
  return new RateLimiterRedis({
    ...common,
    storeClient: opts.redis,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A form posted by a browser without JavaScript (Remix's own submissions go to `*.data`). */
function wantsPage(req: Request): boolean {
  const path = req.path;
  return !path.startsWith("/api/") && !path.endsWith(".data") && req.accepts(["json", "html"]) === "html";
}

function refuse(req: Request, res: Response, perMinute: number, retryAfterSeconds: number): void {
  req.resume(); // discard the body: the client reads the answer instead of a reset connection
  res.status(429).setHeader("Retry-After", String(retryAfterSeconds));
  const error =
    `too many requests: at most ${perMinute} requests that change something per minute per client ` +
    `(${LIMIT_NAME}); retry in ${retryAfterSeconds} s`;
  const details = { limit: LIMIT_NAME, perMinute, retryAfterSeconds };
  if (isSeedPath(req.path)) {
    res.json({ detail: error, ...details });
  } else if (wantsPage(req)) {
    const back = escapeHtml(req.path);
    res
      .type("html")
      .send(
        `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Too many requests: storecast</title></head>` +
          `<body><h1>Too many requests</h1><p>${escapeHtml(error)}.</p>` +
          `<p><a href="${back}">Back to the page</a></p></body></html>`,
      );
  } else {
    res.json({ error, details });
  }
}

/** The middleware counting every mutating request against `limiter` (built for `perMinute`). */
export function mutationLimitMiddleware(
  limiter: RateLimiterAbstract,
  opts: { perMinute: number; log?: Pick<Logger, "warn">; clientKey?: (req: Request, res: Response) => string },
): RequestHandler {
  const keyOf = opts.clientKey ?? requestClientKey;
  return (req, res, next) => {
    if (!isMutation(req.method, req.path)) return next();
    limiter.consume(keyOf(req, res)).then(
      () => next(),
      (rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) {
          return refuse(req, res, opts.perMinute, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        }
        // The limiter itself failed (no store and no insurance answered): serve rather than refuse all.
        opts.log?.warn({ err: rejection }, "rate limits: could not count a request; served uncounted");
        next();
      },
    );
  };
}

export interface MutationRateLimits extends RequestHandler {
  /** Where the counts live: Redis (shared by replicas), this process, or nowhere (RATE_LIMIT_MUTATIONS=0). */
  readonly store: "redis" | "memory" | "off";
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/**
 * The rate limits the configuration asks for, as one express middleware: Redis with REDIS_URL (its
 * keys under the queue's name, so deployments sharing a Redis keep apart), in-process otherwise.
 */
export function mutationRateLimits(
  config: Pick<Config, "RATE_LIMIT_MUTATIONS" | "REDIS_URL" | "JOB_QUEUE">,
  log: Pick<Logger, "warn">,
): MutationRateLimits {
  const perMinute = config.RATE_LIMIT_MUTATIONS;
  if (perMinute === 0) {
    return Object.assign<RequestHandler, Pick<MutationRateLimits, "store" | "close">>((_req, _res, next) => next(), {
      store: "off",
      close: async () => {},
    });
  }
  let redis: Redis | undefined;
  if (config.REDIS_URL) {
    // No offline queue: while Redis is away a count fails at once and the in-process insurance answers.
    redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    let warnedAt = 0;
    redis.on("error", (err: Error) => {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      log.warn({ err }, "rate limits: Redis unavailable, counting in this process meanwhile");
    });
  }
  const limiter = createMutationLimiter({ perMinute, redis, keyPrefix: `storecast:${config.JOB_QUEUE}:rl-mutations` });
  return Object.assign(mutationLimitMiddleware(limiter, { perMinute, log }), {
    store: redis ? ("redis" as const) : ("memory" as const),
    async close() {
      if (redis?.status === "ready") await redis.quit().catch(() => redis?.disconnect());
      else redis?.disconnect(); // still trying to connect: quit would wait for the connection
    },
  });
}
