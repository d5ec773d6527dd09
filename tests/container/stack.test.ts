/**
 * The compose stack in containers (`npm run stack:up`, scripts/container/stack.ts): Postgres,
 * Kafka and Redis from the local service images, the producer and two app replicas from
 * storecast:latest, on one podman network, as docker-compose.yml describes them. Proves, through
 * the replicas' published ports and the containers themselves: the history loads, the stream flows
 * through Kafka into Postgres, a train-all is shared by both replicas (every series once), a
 * retrain through one replica is seen by the other, and stopping one replica (SIGTERM) loses
 * nothing: its job is finished by the other, the consumer group hands its partitions over, and
 * every record streamed meanwhile is stored.
 *
 * Builds nothing: needs storecast:latest (`npm run image:build`) and the service images
 * (`bash scripts/container/build-service-images.sh`).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppReplica,
  podman,
  readPlan,
  STACK_SERVICES,
  stackDown,
  stackUp,
} from "../../scripts/container/stack.js";
import { bearer, signIn } from "../support/auth.js";
import { freePort, ROOT } from "../support/processes.js";
import { waitFor } from "../support/stream-cases.js";
import { waitForJob, waitForTrainAll } from "../support/training.js";

// More series than one training batch (TRAIN_BATCH_SERIES, 50): a train-all asks for helpers.
const STORES = 120;
const PARTITIONS = 6;
const RECORDS = 300;
const PREFIX = `storecast-stacktest-${process.pid}-`;
const ADMIN_PASSWORD = `stacktest${process.pid}pw`;
const env = {
  GENERATE_STORES: String(STORES),
  KAFKA_PARTITIONS: String(PARTITIONS),
  STREAM_INTERVAL_MS: "100",
  // A replica stopping hands a train-all still under way back (rather than finishing it while it drains).
  SHUTDOWN_TIMEOUT_MS: "1000",
  ADMIN_PASSWORD,
  LOG_LEVEL: "info",
};

const run = promisify(execFile);
const available = await run("podman", ["info"]).then(
  () => true,
  () => false,
);

/** One SQL answer from the stack's Postgres (psql in its container), rows of `|`-separated fields. */
async function sql(query: string): Promise<string[][]> {
  const { stdout } = await podman([
    "exec",
    `${PREFIX}postgres`,
    "psql",
    "-U",
    "storecast",
    "-d",
    "storecast",
    "-tAc",
    query,
  ]);
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|"));
}
const one = async (query: string) => Number((await sql(query))[0]?.[0]);

/** The ingest group's partitions: who holds each (its host) and the lag, from Kafka's own tool. */
async function groupAssignment(): Promise<{ partition: number; host: string; lag: number }[]> {
  const { stdout } = await podman([
    "exec",
    `${PREFIX}kafka`,
    "/opt/kafka/bin/kafka-consumer-groups.sh",
    "--bootstrap-server",
    "localhost:9092",
    "--describe",
    "--group",
    "storecast-ingest",
  ]);
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === "storecast-ingest" && f[1] === "sale_rossman_store")
    .map((f) => ({ partition: Number(f[2]), lag: Number(f[5]), host: (f[7] ?? "-").replace(/^\//, "") }));
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

async function ipOf(container: string): Promise<string> {
  const { stdout } = await podman([
    "inspect",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    container,
  ]);
  return stdout.trim();
}

describe.runIf(available)("the compose stack in podman containers, two app replicas", () => {
  let apps: AppReplica[] = [];
  let a: string;
  let b: string;
  let auth: Record<string, string>;
  const call = (url: string, p: string, init: RequestInit = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const json = async <T>(url: string, p: string, init?: RequestInit): Promise<T> => {
    const res = await call(url, p, init);
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    const plan = readPlan({
      root: ROOT,
      env,
      secretsFile: path.join(mkdtempSync(path.join(tmpdir(), "stacktest-")), "s.env"),
    });
    const missing: string[] = [];
    for (const s of STACK_SERVICES) {
      const image = plan.services[s]!.image;
      if ((await podman(["image", "exists", image], { allowFail: true })).code !== 0) missing.push(image);
    }
    if (missing.length > 0) {
      throw new Error(
        `missing images ${[...new Set(missing)].join(", ")}: build them first with \`npm run image:build\` (storecast:latest) ` +
          "and `bash scripts/container/build-service-images.sh` (postgres, redis, kafka)",
      );
    }
    // Two consecutive free ports for the replicas.
    let port = await freePort();
    while (port >= 65535 || !(await portFree(port + 1))) port = await freePort();
    const secretsFile = path.join(mkdtempSync(path.join(tmpdir(), "stacktest-")), "stack.env");
    const up = await stackUp({
      root: ROOT,
      prefix: PREFIX,
      replicas: 2,
      appPort: port,
      env,
      secretsFile,
      log: () => {},
    });
    console.info(`stack healthy in ${up.seconds.toFixed(0)} s`);
    apps = up.apps;
    [a, b] = apps.map((r) => r.url) as [string, string];
    // An operator's API token, made through the first replica's signed-in admin.
    const cookie = await signIn(a, "admin", ADMIN_PASSWORD);
    const res = await fetch(`${a}/api/tokens`, {
      method: "POST",
      headers: { cookie, origin: a, "content-type": "application/json" },
      body: JSON.stringify({ name: "stack-test", role: "operator" }),
    });
    expect(res.status).toBe(201);
    auth = bearer(((await res.json()) as { token: string }).token);
  });
  afterAll(async () => {
    // STACK_TEST_KEEP=1 leaves the stack up to look into (then: npm run stack:down -- --prefix ... --volumes).
    if (process.env.STACK_TEST_KEEP === "1") return console.info(`stack kept: prefix ${PREFIX}`);
    await stackDown({ prefix: PREFIX, volumes: true, log: () => {} });
  });

  it("loads the history: both replicas are ready and list every store; the first training covers them", async () => {
    for (const url of [a, b]) {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
      expect(body.checks.database?.detail).toMatch(/postgres:5432/);
      const { stores } = await json<{ stores: unknown[] }>(url, "/api/stores?limit=1000");
      expect(stores).toHaveLength(STORES);
    }
    expect(await one("SELECT count(DISTINCT store) FROM rossman_sales")).toBe(STORES);
    await waitForTrainAll(a, { series: STORES, limitMs: 240_000, headers: auth });
  });

  it("streams through Kafka into Postgres: stored records carry Kafka offsets, and they grow", async () => {
    // Past the end of each partition's records stored so far.
    const reached = () =>
      one(
        "SELECT coalesce(sum(m + 1), 0) FROM (SELECT max(source_offset) AS m FROM rossman_sales GROUP BY source_partition) p",
      );
    const before = await reached();
    await waitFor("more records stored from Kafka", async () => (await reached()) > before + 10, 60_000);
    expect(
      await one("SELECT count(DISTINCT source_partition) FROM rossman_sales WHERE source_offset IS NOT NULL"),
    ).toBeGreaterThan(1);
  });

  it("shares one train-all between both replicas, every series trained exactly once", async () => {
    const { job_id: jobId } = await json<{ job_id: string }>(a, "/api/train-all", { method: "POST" });
    // Followed through the other replica: the job's state is in Redis.
    const job = await waitForJob(b, jobId, 240_000, auth);
    const result = job.result as {
      runId: number;
      status: string;
      series: number;
      trained: number;
      workers: Record<string, number>;
    };
    expect(result).toMatchObject({ status: "SUCCEEDED", series: STORES, trained: STORES });
    console.info(`series trained per replica: ${JSON.stringify(result.workers)}`);
    const workers = Object.values(result.workers);
    expect(workers).toHaveLength(2);
    for (const n of workers) expect(n).toBeGreaterThan(0);
    const [versions, models] = (
      await sql(
        `SELECT count(*), count(DISTINCT model_id) FROM model_versions WHERE pipeline_run_id = ${Number(result.runId)}`,
      )
    )[0]!.map(Number);
    expect({ versions, models }).toEqual({ versions: STORES, models: STORES });
  });

  it("a retrain through one replica is seen through the other", async () => {
    type Versions = { versions: { version: number }[] };
    const path_ = "/api/models/7/product_A";
    const before = (await json<Versions>(a, `${path_}/versions`)).versions[0]!.version;
    const { job_id: jobId } = await json<{ job_id: string }>(b, `${path_}/retrain`, { method: "POST" });
    expect((await waitForJob(a, jobId, 120_000, auth)).status).toBe("SUCCEEDED");
    expect((await json<Versions>(a, `${path_}/versions`)).versions[0]!.version).toBe(before + 1);
  });

  it("stopping one replica (SIGTERM) loses nothing: its job, its partitions, the records streamed meanwhile", async () => {
    const [keep, stop] = apps as [AppReplica, AppReplica];
    // Both replicas hold partitions before.
    const hosts = [await ipOf(keep.container), await ipOf(stop.container)];
    await waitFor(
      "both replicas in the consumer group",
      async () => new Set((await groupAssignment()).map((p) => p.host)).size === 2,
      60_000,
    );

    // A train-all under way, with series claimed by the replica that stops (its worker names
    // start with its hostname) and series still to do.
    const { stdout: hostname } = await podman(["inspect", "--format", "{{.Config.Hostname}}", stop.container]);
    const stopHost = hostname.trim();
    const { job_id: jobId } = await json<{ job_id: string }>(stop.url, "/api/train-all", { method: "POST" });
    const newestRun = "(SELECT max(run_id) FROM train_series)";
    await waitFor(
      "the stopping replica to hold series of the train-all, with series still to do",
      async () => {
        const [row] = await sql(
          `SELECT count(*) FILTER (WHERE claimed_by LIKE '${stopHost}%' OR finished_by LIKE '${stopHost}%'),
                  count(*) FILTER (WHERE outcome IS NULL)
             FROM train_series WHERE run_id = ${newestRun}`,
        );
        return Number(row?.[0]) > 0 && Number(row?.[1]) > 0;
      },
      120_000,
    );
    // Records with products of their own (new rows), streamed while the replica stops. One product
    // (GENERATE_PRODUCTS=1): the stream file has no ProductName column; each row gets its own.
    const producer = `${PREFIX}producer`;
    const file = "/app/data/generated/train_only_last_10d.csv";
    const { stdout: csv } = await podman(["exec", producer, "head", "-n", String(RECORDS + 1), file]);
    const [header, ...rows] = csv.trim().split("\n");
    const lines = [`${header},ProductName`, ...rows.map((r, i) => `${r},stacktest_${i}`)];
    await podman(["exec", producer, "sh", "-c", `printf '%s\\n' "$0" > /tmp/stacktest.csv`, lines.join("\n")]);
    const streaming = new Promise<number | null>((resolve) => {
      const child = spawn(
        "podman",
        [
          "exec",
          producer,
          "node",
          "--import",
          "tsx",
          "scripts/producer.ts",
          "--csv",
          "/tmp/stacktest.csv",
          "--count",
          String(RECORDS),
          "--rate",
          "100",
        ],
        { stdio: "ignore" },
      );
      child.on("exit", resolve);
    });
    // podman stop: SIGTERM, then up to the stop_grace_period (40 s) before SIGKILL.
    await podman(["stop", stop.container]);
    console.info(`${stop.container} (${stopHost}) stopped during train-all job ${jobId}`);
    const { stdout: exit } = await podman(["inspect", "--format", "{{.State.ExitCode}}", stop.container]);
    expect(exit.trim()).toBe("0");
    expect(await streaming).toBe(0);

    // The job is finished by the replica left: every series once.
    const job = await waitForJob(keep.url, jobId, 300_000, auth);
    expect(job.status).toBe("SUCCEEDED");
    const result = job.result as { runId: number; trained: number; failed: number; workers: Record<string, number> };
    console.info(`after the stop: ${JSON.stringify(result)}`);
    // Resumed after the hand-back, the run plans again and may take in the one-day series streamed
    // meanwhile (skipped: too little history); the stores' series are all trained.
    expect(result).toMatchObject({ trained: STORES, failed: 0 });
    // The replica left finished what the stopped one handed back: every series trained, none held.
    const [finished] = await sql(
      `SELECT count(*) FILTER (WHERE outcome = 'trained' AND productname NOT LIKE 'stacktest\\_%'),
              count(*) FILTER (WHERE claimed_by IS NOT NULL OR outcome IS NULL),
              count(*) FILTER (WHERE finished_by LIKE '${stopHost}%')
         FROM train_series WHERE run_id = ${Number(result.runId)}`,
    );
    const [trained, held, byStopped] = finished!.map(Number) as [number, number, number];
    expect({ trained, held }).toEqual({ trained: STORES, held: 0 });
    expect(byStopped).toBeLessThan(STORES);
    const [versions, models] = (
      await sql(
        `SELECT count(*), count(DISTINCT model_id) FROM model_versions WHERE pipeline_run_id = ${Number(result.runId)}`,
      )
    )[0]!.map(Number);
    expect({ versions, models }).toEqual({ versions: STORES, models: STORES });

    // The group hands every partition to the replica left, and it catches up: every record stored.
    await waitFor(
      "the replica left to hold every partition, with no lag",
      async () => {
        const parts = await groupAssignment();
        return parts.length === PARTITIONS && parts.every((p) => p.host === hosts[0] && p.lag === 0);
      },
      120_000,
    );
    await waitFor(
      "every record streamed during the stop to be stored",
      async () => (await one("SELECT count(*) FROM rossman_sales WHERE productname LIKE 'stacktest\\_%'")) === RECORDS,
      60_000,
    );
  });
});

// Says why in the report when it cannot run (an empty test that passes would claim a check it did not make).
if (!available) it.skip("runs the stack in containers: podman cannot run here", () => {});
