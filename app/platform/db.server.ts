import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.js";
import { type MigrateResult, migrate, pendingMigrations, type SqlSession } from "./migrate.server.js";

export type DatabaseKind = "postgres" | "pglite";

/**
 * The database port: Prisma Client for the application, plus a raw SQL session for what
 * Prisma does not do well (migrations, bulk upserts). Both adapters speak the same SQL.
 */
export interface Database {
  kind: DatabaseKind;
  /** Where it lives, without credentials: host:port/db, or the PGlite directory. */
  location: string;
  prisma: PrismaClient;
  sql: SqlSession;
  migrate(): Promise<MigrateResult>;
  pendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory, or "memory://" for a throwaway database. */
  pgliteDir?: string;
  connectTimeoutMs?: number;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  poolSize?: number;
}

export class DatabaseUnreachableError extends Error {
  override name = "DatabaseUnreachableError";
}

/** A connection error as one readable phrase (Node reports refused dual-stack connects as an AggregateError). */
function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map((e: unknown) => describeError(e)))].join("; ");
  }
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<Database> {
  const timeout = opts.connectTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: timeout,
    max: opts.poolSize ?? 10,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const location = describeUrl(url);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new DatabaseUnreachableError(
      `cannot reach Postgres at ${location}: ${describeError(err)} (connect timeout ${timeout / 1000}s)`,
    );
  }
  const sql: SqlSession = {
    async exec(text) {
      await pool.query(text);
    },
    async query(text, params, opts) {
      return (await pool.query({ text, values: params as unknown[], name: opts?.prepare })).rows;
    },
  };
  // Migrations hold an advisory lock, so they need one connection throughout.
  const withSession = async <T>(fn: (s: SqlSession) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn({
        async exec(text) {
          await client.query(text);
        },
        async query(text, params, opts) {
          return (await client.query({ text, values: params as unknown[], name: opts?.prepare })).rows;
        },
      });
    } finally {
      client.release();
    }
  };
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    location,
    prisma,
    sql,
    migrate: () => withSession((s) => migrate(s)),
    pendingMigrations: () => pendingMigrations(sql),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * Postgres settings for PGlite, on top of its own start parameters (docs/decisions/0041). Its shared
 * memory is allocated and zeroed at start inside a WebAssembly.Memory, which never shrinks, so every
 * megabyte here is resident for the process's life. Initdb's 128MB of shared_buffers and 100
 * connections' worth of shared state buy nothing for one connection whose data files the OS caches
 * anyway: 16MB holds the hot indexes and the working set of a series or a batch.
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: "16MB",
  max_connections: "5",
  wal_buffers: "1MB",
  // Sorts and hashes spill to files beyond these; the defaults (4MB, 64MB) outgrow the buffers above.
  work_mem: "4MB",
  maintenance_work_mem: "16MB",
  temp_buffers: "2MB",
};

const pgliteStartParams = () => [
  ...PGlite.defaultStartParams,
  ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
];

async function openPGlite(dir: string): Promise<Database> {
  const inMemory = dir.startsWith("memory://");
  if (!inMemory) mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const client = await PGlite.create(inMemory ? dir : path.resolve(dir), { startParams: pgliteStartParams() });
  // PGlite is a single connection, so it is its own session.
  const sql: SqlSession = {
    async exec(text) {
      await client.exec(text);
    },
    async query(text, params) {
      return (await client.query(text, params as unknown[])).rows as never[];
    },
  };
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
  return {
    kind: "pglite",
    location: inMemory ? dir : path.resolve(dir),
    prisma,
    sql,
    migrate: () => migrate(sql),
    pendingMigrations: () => pendingMigrations(sql),
    async close() {
      await prisma.$disconnect();
      await client.close();
    },
  };
}

/** Opens Postgres when a URL is given, PGlite otherwise, and migrates it unless told not to. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, opts)
    : await openPGlite(opts.pgliteDir ?? "./data/pglite");
  if (opts.migrate ?? true) {
    try {
      await db.migrate();
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }
  return db;
}
