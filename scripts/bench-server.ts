/**
 * What the HTTP benchmarks (bench-api, bench-pages) share: a real server process on a scratch
 * Postgres database (and, with Redis, a queue of its own), the generated data set loaded and every
 * series trained before anything is measured; everything it made is removed by stop(). Also the
 * result table and percentiles.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Queue } from "bullmq";
import { createScratchDatabase } from "../tests/support/databases.js";
import { type RunningServer, startServer, tempDir } from "../tests/support/processes.js";
import { listStoreIds, waitForTrainAll } from "../tests/support/training.js";

export interface BenchServer {
  url: string;
  /** The server's process (tsx's, whose child is the node process serving). */
  pid: number;
  /** Every store the server lists. */
  stores: number[];
  /** The scratch database's name. */
  database: string;
  /** Its URL (a benchmark may add data the pages read, e.g. run history). */
  databaseUrl: string;
  /** The BullMQ queue's name, when REDIS_URL was given. */
  queue: string | null;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  /** Names the scratch database (`storecast_bench_{name}_...`) and queue. */
  name: string;
  stores: number;
  /** Products per store (GENERATE_PRODUCTS); default 1. */
  products?: number;
  databaseUrl: string;
  /** BullMQ on this Redis (a queue of its own); the in-process queue without. */
  redisUrl?: string;
  /** More server environment (GENERATE_DAYS, ...). */
  env?: Record<string, string>;
  log: (line: string) => void;
}

/** Starts the server on fresh data and waits for the initial training of every series. */
export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  const scratch = await createScratchDatabase(opts.databaseUrl, `storecast_bench_${opts.name}`);
  const queue = opts.redisUrl ? `storecast-bench-${opts.name}-${randomBytes(4).toString("hex")}` : null;
  const dataDir = tempDir(`bench-${opts.name}`);
  let server: RunningServer | undefined;
  const stop = async () => {
    await server?.stop("SIGTERM");
    await scratch.drop().catch((err: unknown) => opts.log(`could not drop ${scratch.name}: ${String(err)}`));
    if (queue && opts.redisUrl) {
      const q = new Queue(queue, { connection: { url: opts.redisUrl } });
      await q
        .obliterate({ force: true })
        .catch((err: unknown) => opts.log(`could not clean the queue: ${String(err)}`));
      await q.close();
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    opts.log(`starting the server: ${opts.stores} stores, Postgres ${scratch.name}, queue ${queue ?? "in-process"}`);
    const startedAt = Date.now();
    server = await startServer(
      {
        DATABASE_URL: scratch.url,
        ...(queue && opts.redisUrl ? { REDIS_URL: opts.redisUrl, JOB_QUEUE: queue } : {}),
        DATA_DIR: dataDir,
        GENERATE_STORES: String(opts.stores),
        GENERATE_PRODUCTS: String(opts.products ?? 1),
        SCHEDULES: "false",
        STREAM_PRODUCER: "false",
        LOG_LEVEL: "warn",
        ...opts.env,
      },
      300_000,
    );
    opts.log(`up after ${Date.now() - startedAt} ms; waiting for the initial training`);
    const trainMs = await waitForTrainAll(server.url, {
      series: opts.stores * (opts.products ?? 1),
      limitMs: 600_000,
      onProgress: (line) => opts.log(`initial training: ${line}`),
    });
    opts.log(`trained after ${trainMs} ms more`);
    const stores = await listStoreIds(server.url);
    return {
      url: server.url,
      pid: server.child.pid ?? 0,
      stores,
      database: scratch.name,
      databaseUrl: scratch.url,
      queue,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The value below which a share `q` (0..1) of `xs` lies (nearest rank). */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]) => percentile(xs, 0.5);

/** Prints rows as a `measure | value | target` table on stdout. */
export function printTable(
  rows: readonly (readonly [string, string, string])[],
  header = ["measure", "value", "target"],
) {
  const w0 = Math.max(header[0]!.length, ...rows.map((r) => r[0].length));
  const w1 = Math.max(header[1]!.length, ...rows.map((r) => r[1].length));
  console.log(`\n${header[0]!.padEnd(w0)} | ${header[1]!.padEnd(w1)} | ${header[2]}`);
  console.log(`${"-".repeat(w0)}-|-${"-".repeat(w1)}-|-------`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c}`);
}

/** The process and its descendants (from /proc), e.g. tsx and the node process it runs. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent; the name (field 2) may hold spaces, so after ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/**
 * Peak resident memory (VmHWM, MiB) of the largest process in the tree since start or since
 * resetPeakRss: the server's node process, model threads included (threads share its memory).
 */
export function peakRssMiB(root: number): number {
  let peak = 0;
  for (const pid of processTree(root)) {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      // gone meanwhile
    }
  }
  return peak;
}

/** Starts the peak (VmHWM) over from the current RSS (Linux: clear_refs 5). */
export function resetPeakRss(root: number): void {
  for (const pid of processTree(root)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {
      // not ours to reset: the figure then includes what came before
    }
  }
}
