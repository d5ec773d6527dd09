import { existsSync } from "node:fs";
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

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

/** Forecast dates may lie from the first sales day to this many days after the newest (2 years). */
export const DEFAULT_FORECAST_HORIZON_DAYS = 730;
/** Forecast points (items x days) one batch request may ask for: the seed's full batch is 89,200. */
export const DEFAULT_FORECAST_MAX_BATCH_POINTS = 100_000;
/** A model-thread task running longer than this has its thread stopped (and replaced). */
export const DEFAULT_MODEL_TASK_TIMEOUT_MS = 30_000;

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: int(1, 65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
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
});

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
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? "environment");
  const value = cleaned[name];
  const shown =
    name === "DATABASE_URL" || name === "REDIS_URL" ? "" : value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
  throw new ConfigError(`Invalid environment variable ${name}: ${issue?.message ?? "invalid"}${shown}`);
}

/** Whether this process runs the stream producer: STREAM_PRODUCER, by default only in embedded mode. */
export function runsStreamProducer(config: Pick<Config, "STREAM_PRODUCER" | "KAFKA_BROKERS">): boolean {
  return config.STREAM_PRODUCER ?? config.KAFKA_BROKERS === undefined;
}

let cached: Config | undefined;
/** The process-wide configuration, parsed once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
