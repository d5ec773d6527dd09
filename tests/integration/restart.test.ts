/**
 * A replica killed while it is a member of the consumer group holds its partitions until its
 * session expires (30 s by default). Its restart must not wait for that: the web server listens as
 * soon as the database is ready, and the consumer joins its group in the background. The test kills
 * a server with SIGKILL and measures the restart's time to /healthz and to a served forecast
 * (reported, not asserted: these machines are shared), while /readyz says the consumer is starting.
 * Needs KAFKA_BROKERS, Postgres and a production build.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../app/days.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { freePort, type RunningServer, spawnServer, startServer, tempDir } from "../support/processes.js";
import { uniqueName, waitFor } from "../support/stream-cases.js";

const brokers = process.env.KAFKA_BROKERS;
const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

const readiness = async (url: string) => (await (await fetch(`${url}/readyz`)).json()) as Readiness;

describe.skipIf(!brokers)("restart after a crash, with the dead member still in the consumer group", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_restart");
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill("SIGKILL");
    await scratch?.drop();
  });

  it("serves pages and forecasts at once; the consumer joins when the session lets it", async () => {
    const port = await freePort();
    const env = {
      DATABASE_URL: scratch!.url,
      KAFKA_BROKERS: brokers!,
      KAFKA_TOPIC: uniqueName("storecast-restart"),
      KAFKA_GROUP_ID: uniqueName("restart-group"),
      // The default session (30 s): what a restart used to wait out before it listened.
      KAFKA_SESSION_TIMEOUT_MS: "30000",
      DATA_DIR: tempDir("restart"),
      GENERATE_STORES: "4",
      GENERATE_DAYS: "60",
      PORT: String(port),
      HOST: "127.0.0.1",
    };
    server = await startServer(env);
    await waitFor(
      "the first server's consumer in its group",
      async () => (await readiness(server!.url)).checks.services?.detail === "all running",
      60_000,
    );
    await waitFor(
      "the initial training",
      async () => {
        const res = await fetch(`${server!.url}/api/pipeline-runs?kind=train-all&limit=1`);
        const body = (await res.json()) as { runs: { status: string }[] };
        return body.runs[0]?.status === "SUCCEEDED";
      },
      150_000,
    );
    server.child.kill("SIGKILL");
    await server.exited;

    const started = Date.now();
    const restarted = spawnServer({ LOG_LEVEL: "info", ...env });
    server = { ...restarted, url: `http://127.0.0.1:${port}`, stop: async () => restarted.exited };
    const url = server.url;
    let healthMs = 0;
    await waitFor(
      "/healthz",
      async () => {
        const ok = await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) healthMs = Date.now() - started;
        return ok;
      },
      60_000,
    );
    const today = todayDay();
    let forecastMs = 0;
    await waitFor(
      "a served forecast",
      async () => {
        const res = await fetch(`${url}/api/forecasts/1/product_A`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ begin: formatDay(today + 1), end: formatDay(today + 7) }),
        }).catch(() => null);
        if (res?.status !== 200) return false;
        forecastMs = Date.now() - started;
        return ((await res.json()) as { points: unknown[] }).points.length === 7;
      },
      60_000,
    );
    // Ready for traffic while the consumer still waits for the dead member's session to expire.
    const early = await readiness(url);
    const pageStatus = (await fetch(`${url}/stores/1`)).status;
    console.info(
      `restart after SIGKILL: /healthz after ${healthMs} ms, a forecast after ${forecastMs} ms; ` +
        `/readyz then: ${early.status}, services ${early.checks.services?.detail}`,
    );
    expect(pageStatus).toBe(200);
    expect(early.status).toBe("ready");
    expect(early.checks.services?.ok).toBe(true);

    let joinedMs = 0;
    await waitFor(
      "the consumer in its group",
      async () => {
        const joined = (await readiness(url)).checks.services?.detail === "all running";
        if (joined) joinedMs = Date.now() - started;
        return joined;
      },
      90_000,
    );
    console.info(`restart after SIGKILL: the consumer joined its group after ${joinedMs} ms`);
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
    expect(restarted.output()).toContain("stopped cleanly");
  }, 400_000);
});

describe("a job's status after a restart in embedded mode (PGlite, in-process queue)", () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  });

  it("a reference client polling a training job's status gets it from the next process, and an interrupted one is STOPPED", async () => {
    const dataDir = tempDir("restart-embedded");
    const env = { PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, GENERATE_STORES: "3", GENERATE_DAYS: "60" };
    server = await startServer(env);
    const submit = async (path: string) => {
      const res = await fetch(`${server!.url}${path}`, { method: "POST" });
      expect(res.status).toBe(200);
      return ((await res.json()) as { train_job_id: string }).train_job_id;
    };
    const status = async (id: string) =>
      (await (await fetch(`${server!.url}/api/trainers/training_job_status/${id}`)).json()) as { status: string };
    // The first start trains every series (a train-all job); a retrain of a missing series fails at once.
    const failed = await submit("/api/trainers/999/product_A/train");
    await waitFor("the failing retrain", async () => (await status(failed)).status === "FAILED", 120_000);
    const running = await submit("/api/trainers/train");
    await server.stop("SIGKILL");

    server = await startServer(env);
    expect(await status(failed)).toEqual({ train_job_id: failed, status: "FAILED" });
    // The train-all was queued or running when the process died: nothing will run it any more.
    expect(await status(running)).toEqual({ train_job_id: running, status: "STOPPED" });
    await server.stop("SIGTERM");
  }, 240_000);
});
