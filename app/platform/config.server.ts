import { existsSync } from "node:fs";
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { checkDeployment, deploymentVariables, SECRET_VARIABLES } from "./deployment-config.server.js";

/** Thrown when the environment is unusable; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });

const decimal = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a number from ${min} to ${max}` })
    .min(min, { error: `expected a number from ${min} to ${max}` })
    .max(max, { error: `expected a number from ${min} to ${max}` });

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "expected true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const postgresUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
    } catch {
      return false;
    }
  },
  { error: "expected a postgres://user:password@host:port/database URL" },
);

/** Kafka bootstrap servers: a comma-separated list of host:port. */
const brokerList = z
  .string()
  .transform((v) => v.split(",").map((b) => b.trim()))
  .refine((list) => list.every((b) => /^[A-Za-z0-9._-]+:\d{1,5}$/.test(b) && Number(b.split(":")[1]) <= 65535), {
    error: "expected a comma-separated list of host:port",
  });

/** A Kafka topic name: letters, digits, '.', '_', '-', at most 249 characters. */
const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, { error: "expected a topic name of letters, digits, '.', '_' and '-'" });

const redisUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === "redis:" && u.hostname !== "";
    } catch {
      return false;
    }
  },
  { error: "expected a redis://[user:password@]host:port[/db] URL" },
);

/** A five-field cron expression (minute hour day-of-month month day-of-week), read in UTC. */
const cron5 = z
  .string()
  .trim()
  .refine((v) => v.split(/\s+/).length === 5, { error: "expected a five-field cron expression, e.g. 0 2 * * 1" })
  .refine(
    (v) => {
      try {
        CronExpressionParser.parse(v, { tz: "UTC" });
        return true;
      } catch {
        return false;
      }
    },
    { error: "expected a valid five-field cron expression, e.g. 0 2 * * 1" },
  );

/** An origin as browsers send it (scheme://host[:port]), or undefined. */
function origin(value: string): string | undefined {
  try {
    const u = new URL(value);
    const ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin.toLowerCase() === value.toLowerCase();
    return ok ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Origins allowed to call the API from a browser: `*` (any), or a comma-separated list of origins. */
const corsOrigins = z.string().transform((v, ctx) => {
  const list = v.split(",").map((o) => o.trim());
  if (list.length === 1 && list[0] === "*") return "*" as const;
  const origins = list.map(origin);
  const bad = list.find((_, i) => origins[i] === undefined);
  if (bad === undefined) return origins as string[];
  ctx.addIssue({
    code: "custom",
    message:
      bad === "*"
        ? "* (any origin) stands alone"
        : `${JSON.stringify(bad)} is not an origin (scheme://host[:port], no path): expected * or a ` +
          "comma-separated list of origins, e.g. https://app.example.com,http://localhost:5173",
  });
  return z.NEVER;
});

/** The identity provider's issuer: https, or http on a loopback host only (a provider on this machine). */
const issuerUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      if (u.search || u.hash || u.username || u.password) return false;
      return u.protocol === "https:" || (u.protocol === "http:" && isLoopbackHost(u.hostname));
    } catch {
      return false;
    }
  },
  { error: "expected the provider's https:// issuer URL (http:// only on a loopback host), without query" },
);

/** Where the provider sends the browser back: this server's /auth/oidc/callback as browsers reach it. */
const redirectUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "https:" || u.protocol === "http:") && u.pathname.endsWith("/auth/oidc/callback");
    } catch {
      return false;
    }
  },
  {
    error:
      "expected an http(s) URL ending in /auth/oidc/callback, e.g. https://storecast.example.com/auth/oidc/callback",
  },
);

/** Space-separated OAuth scopes, openid among them. */
const scopes = z
  .string()
  .transform((v) => v.trim().split(/\s+/).join(" "))
  .refine((v) => /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(v), {
    error: "expected space-separated scopes",
  })
  .refine((v) => v.split(" ").includes("openid"), { error: "expected openid among the scopes" });

/** Roles as app/auth/principal.ts names them (platform/ imports no domain; a unit test keeps them equal). */
export const OIDC_ROLES = ["viewer", "planner", "operator", "admin"] as const;

/** Single sign-on needs these together: one without the others is a mistake, not "off". */
const OIDC_REQUIRED = ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const;

/** Forecast dates may lie from the first sales day to this many days after the newest (2 years). */
export const DEFAULT_FORECAST_HORIZON_DAYS = 730;
/** Forecast points (items x days) one batch request may ask for: the seed's full batch is 89,200. */
export const DEFAULT_FORECAST_MAX_BATCH_POINTS = 100_000;
/** A model-thread task running longer than this has its thread stopped (and replaced). */
export const DEFAULT_MODEL_TASK_TIMEOUT_MS = 30_000;

const baseSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: int(1, 65535).default(3000),
  /** Loopback by default: the quick start is reachable from this machine only (docs/decisions/0021). */
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: postgresUrl.optional(),
  DB_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5000),
  PGLITE_DIR: z.string().min(1).default("./data/pglite"),
  DATA_DIR: z.string().min(1).default("./data"),
  AUTO_LOAD_HISTORY: bool.default(true),
  HISTORY_CSV: z.string().min(1).optional(),
  CALENDAR_CSV: z.string().min(1).optional(),
  STORES_CSV: z.string().min(1).optional(),
  GENERATE_STORES: int(1, 100_000).default(1115),
  GENERATE_PRODUCTS: int(1, 100).default(1),
  GENERATE_DAYS: int(30, 2000).default(160),
  GENERATE_SEED: int(0, 2 ** 31 - 1).default(42),
  /**
   * Changes injected into some generated stores from a day on, in the history and the live stream
   * (JSON, app/sales/generator/store-events.ts), e.g.
   * [{"kind":"weekday","factors":"saturday-to-monday","share":0.05,"seed":1,"from":"today-14"}].
   */
  GENERATE_EVENTS: z.string().min(1).max(100_000).optional(),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  AUTO_TRAIN: bool.default(true),
  MODEL_THREADS: int(0, 64).default(0),
  MODEL_TASK_TIMEOUT_MS: int(100, 3_600_000).default(DEFAULT_MODEL_TASK_TIMEOUT_MS),
  FORECAST_HORIZON_DAYS: int(1, 3650).default(DEFAULT_FORECAST_HORIZON_DAYS),
  FORECAST_MAX_BATCH_POINTS: int(1, 10_000_000).default(DEFAULT_FORECAST_MAX_BATCH_POINTS),
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_TOPIC: topicName.default("sale_rossman_store"),
  KAFKA_GROUP_ID: z.string().min(1).max(255).default("storecast-ingest"),
  KAFKA_PARTITIONS: int(1, 1000).default(3),
  KAFKA_CLIENT_ID: z.string().min(1).max(255).default("storecast"),
  KAFKA_SESSION_TIMEOUT_MS: int(6000, 300_000).default(30_000),
  /** Unset: on in embedded mode (no KAFKA_BROKERS), off with Kafka; see runsStreamProducer(). */
  STREAM_PRODUCER: bool.optional(),
  STREAM_INTERVAL_MS: int(1, 86_400_000).default(10_000),
  STREAM_CSV: z.string().min(1).optional(),
  REDIS_URL: redisUrl.optional(),
  JOB_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: "expected a queue name of letters, digits, '.', '_' and '-'" })
    .default("storecast"),
  JOB_CONCURRENCY: int(1, 64).default(1),
  TRAIN_CRON: cron5.default("0 2 * * 1"),
  INGEST_CRON: cron5.default("5 0 * * *"),
  SCHEDULES: bool.default(true),
  /** Series a worker of a train-all claims at a time (replicas share a run a batch at a time). */
  TRAIN_BATCH_SERIES: int(1, 100_000).default(50),
  /** Unset: no CORS headers at all (browsers then call the API only from the app's own origin). */
  CORS_ORIGINS: corsOrigins.optional(),
  /**
   * Sign-in: unset, off on a loopback HOST (the quick start) and on anywhere else; `off` is refused
   * with a non-loopback HOST (see authMode()).
   */
  AUTH: z.enum(["on", "off"], { error: "expected on or off" }).optional(),
  /** The first admin, created (or its password reset) at start when ADMIN_PASSWORD is set. */
  ADMIN_USER: z
    .string()
    .regex(/^[A-Za-z0-9._@-]{1,100}$/, { error: "expected 1 to 100 letters, digits, '.', '_', '@' or '-'" })
    .default("admin"),
  ADMIN_PASSWORD: z.string().min(12, { error: "expected at least 12 characters" }).max(1000).optional(),
  /** Signs session cookies and CSRF tokens; unset, a key generated once and kept in the database. */
  SESSION_SECRET: z.string().min(32, { error: "expected at least 32 characters" }).optional(),
  SESSION_TTL_HOURS: int(1, 24 * 90).default(12),
  /** Single sign-on (OpenID Connect): OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, all or none. */
  OIDC_ISSUER: issuerUrl.optional(),
  OIDC_CLIENT_ID: z.string().max(255, { error: "expected at most 255 characters" }).optional(),
  OIDC_CLIENT_SECRET: z.string().max(1000, { error: "expected at most 1000 characters" }).optional(),
  /** Unset: the request's origin + /auth/oidc/callback (set it behind a proxy that changes the host). */
  OIDC_REDIRECT_URL: redirectUrl.optional(),
  /** The claim naming the role: a role name or an array of groups and roles (the highest role wins). */
  OIDC_ROLE_CLAIM: z.string().min(1).max(200).default("storecast_role"),
  /** The role when the claim names none; `none` refuses the sign-in instead. */
  OIDC_DEFAULT_ROLE: z
    .enum([...OIDC_ROLES, "none"], { error: `expected one of ${OIDC_ROLES.join(", ")} or none` })
    .default("viewer"),
  OIDC_SCOPES: scopes.default("openid profile email"),
  /** Requests that change something (not GET, HEAD, OPTIONS) a client may make per minute; 0 = no limit. */
  RATE_LIMIT_MUTATIONS: int(0, 1_000_000).default(120),
  /** Seconds after a retrain of a series before another may be asked for (native API, store page); 0 = none. */
  RETRAIN_COOLDOWN_S: int(0, 7 * 86_400).default(60),
  /** The retention job: deletes what the RETENTION_* settings no longer keep. */
  RETENTION_CRON: cron5.default("30 3 * * *"),
  /** Archived model versions kept per model beyond the production one, however old. */
  RETENTION_KEEP_VERSIONS: int(0, 100_000).default(5),
  /** Model versions younger than this many days are kept. */
  RETENTION_VERSION_DAYS: int(0, 36_500).default(30),
  /** Finished pipeline runs older than this many days are deleted (the newest of each kind is kept). */
  RETENTION_RUN_DAYS: int(1, 36_500).default(90),
  /** Rejected stream records older than this many days are deleted. */
  RETENTION_REJECT_DAYS: int(1, 36_500).default(30),
  /** The daily drift check (app/monitoring): degraded series, then what the retraining policy does. */
  DRIFT_CRON: cron5.default("45 0 * * *"),
  /** Degraded when the realized RMSPE over the last DRIFT_WINDOW_DAYS exceeds this times the CV RMSPE. */
  DRIFT_RMSPE_RATIO: decimal(1, 100).default(3),
  /** Days of scored forecasts the error rule reads. */
  DRIFT_WINDOW_DAYS: int(3, 90).default(7),
  /** A weekly mean signed error beyond this (0.2: 20%) in DRIFT_BIAS_WEEKS weeks in a row is a persistent bias. */
  DRIFT_BIAS: decimal(0.01, 10).default(0.2),
  DRIFT_BIAS_WEEKS: int(1, 52).default(2),
  /**
   * Days of actuals the drift check re-scores first (the sweep, ADR 27), ending at the newest; 0 = none.
   * Cover DRIFT_WINDOW_DAYS and DRIFT_BIAS_WEEKS + 2 weeks when raising those.
   */
  SCORE_SWEEP_DAYS: int(0, 366).default(35),
  /** What to do with degraded series: off, suggest (list them), on (retrain; roll back one that did worse). */
  AUTO_RETRAIN: z.enum(["off", "suggest", "on"], { error: "expected off, suggest or on" }).default("suggest"),
  /** Automatic retrains requested in any hour at most. */
  AUTO_RETRAIN_PER_HOUR: int(0, 100_000).default(50),
  /** Share of the series in production retraining automatically at once, at most. */
  AUTO_RETRAIN_MAX_SHARE: decimal(0, 1).default(0.1),
  /** Nightly checks a series must have been degraded in a row before the policy retrains it. */
  AUTO_RETRAIN_AFTER_DAYS: int(1, 60).default(5),
  /** The anomaly scan (app/monitoring): compares the stores' weekly sales profiles once a day. */
  ANOMALY_CRON: cron5.default("0 4 * * *"),
  /** Days of sales a store's weekly profile covers, ending on the scanned day. */
  ANOMALY_WINDOW_DAYS: int(7, 366).default(28),
  /** augurs' MAD sensitivity in (0, 1): higher flags more stores (ADR 28 measures 0.3). */
  ANOMALY_SENSITIVITY: z.coerce
    .number({ error: "expected a number between 0 and 1 (exclusive)" })
    .gt(0, { error: "expected a number between 0 and 1 (exclusive)" })
    .lt(1, { error: "expected a number between 0 and 1 (exclusive)" })
    .default(0.3),
});

// The deployment's own variables (metrics access, proxies, Host names, Kafka TLS and SASL).
const schema = baseSchema.extend(deploymentVariables);

/** The schema with the checks across variables. */
const checkedSchema = schema.superRefine(checkDeployment).superRefine((c, ctx) => {
  const anySet = OIDC_REQUIRED.some((name) => c[name] !== undefined) || c.OIDC_REDIRECT_URL !== undefined;
  const missing = OIDC_REQUIRED.find((name) => c[name] === undefined);
  if (!anySet || missing === undefined) return;
  ctx.addIssue({
    code: "custom",
    path: [missing],
    message: `single sign-on needs ${OIDC_REQUIRED.join(", ")} together (${missing} is unset)`,
  });
});

/** Values never echoed in an error message. */
const SECRETS = new Set([
  "DATABASE_URL",
  "REDIS_URL",
  "ADMIN_PASSWORD",
  "SESSION_SECRET",
  "OIDC_CLIENT_SECRET",
  ...SECRET_VARIABLES,
]);

export type Config = z.infer<typeof schema>;

let dotenvLoaded = false;
/** process.env, after reading ./.env once when it exists (variables already set win). */
function processEnvironment(): Record<string, string | undefined> {
  if (!dotenvLoaded && existsSync(".env")) process.loadEnvFile(".env");
  dotenvLoaded = true;
  return process.env;
}

/** Parses the environment; every variable is documented in .env.example. */
export function loadConfig(env: Record<string, string | undefined> = processEnvironment()): Config {
  // An empty variable means "unset", as in most shells' `FOO= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = checkedSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? "environment");
  const value = cleaned[name];
  const shown = SECRETS.has(name) || value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
  throw new ConfigError(`Invalid environment variable ${name}: ${issue?.message ?? "invalid"}${shown}`);
}

/** Whether this process runs the stream producer: STREAM_PRODUCER, by default only in embedded mode. */
export function runsStreamProducer(config: Pick<Config, "STREAM_PRODUCER" | "KAFKA_BROKERS">): boolean {
  return config.STREAM_PRODUCER ?? config.KAFKA_BROKERS === undefined;
}

/** Whether HOST is a loopback address: only this machine can reach the server. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Whether requests need an identity: AUTH, by default off on a loopback HOST only. Auth off with a
 * HOST other machines can reach is refused (a deployment never starts open).
 */
export function authMode(config: Pick<Config, "AUTH" | "HOST">): "on" | "off" {
  const loopback = isLoopbackHost(config.HOST);
  if (config.AUTH === "off" && !loopback) {
    throw new ConfigError(
      `Invalid environment variable AUTH: off is allowed only with a loopback HOST (got HOST=${config.HOST})`,
    );
  }
  return config.AUTH ?? (loopback ? "off" : "on");
}

let cached: Config | undefined;
/** The process-wide configuration, parsed once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
