import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForInitialTraining } from "../support/api-cases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";

// Request budgets over HTTP, against the production server process (`npm run build` first): one
// client flooding the model threads with the largest batches allowed does not stop another
// client's small forecast, and a client that leaves has its queued work dropped. The fair share is
// kept per client key: until auth lands, the peer address, so the flood comes from 127.0.0.2.
const SMALL_DATA = { GENERATE_STORES: "6", GENERATE_DAYS: "60", GENERATE_SEED: "7", MODEL_THREADS: "2" };
const PRODUCT = "product_A";
const ATTACKER = "127.0.0.2";

interface ModelTasks {
  queued: number;
  running: number;
  ok: number;
  cancelled: number;
}

async function modelTasks(base: string): Promise<ModelTasks> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  return {
    queued: value(/^storecast_model_tasks\{state="queued"\} (\d+)$/m),
    running: value(/^storecast_model_tasks\{state="running"\} (\d+)$/m),
    ok: value(/^storecast_model_tasks_total\{outcome="ok"\} (\d+)$/m),
    cancelled: value(/^storecast_model_tasks_total\{outcome="cancelled"\} (\d+)$/m),
  };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A POST from another loopback address (another client key); `abort` closes its connection. */
function postFrom(localAddress: string, url: string, body: string) {
  let settled = false;
  let req: http.ClientRequest | undefined;
  // Never rejects: a connection closed (by `abort` or the server) is "closed".
  const done = new Promise<{ status: number; bytes: number } | "closed">((resolve) => {
    req = http.request(
      url,
      { method: "POST", localAddress, headers: { "content-type": "application/json" }, agent: false },
      (res) => {
        let bytes = 0;
        res.on("data", (d: Buffer) => {
          bytes += d.length;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on("error", () => resolve("closed"));
      },
    );
    req.on("error", () => resolve("closed"));
    req.end(body);
  }).finally(() => {
    settled = true;
  });
  return { done, settled: () => settled, abort: () => req?.destroy() };
}

describe("request budgets: fair share of the model threads, and work dropped when the client leaves", () => {
  const dataDir = tempDir("budgets");
  let server: RunningServer;
  let stores: number[] = [];
  let lastDay = "";

  beforeAll(async () => {
    server = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...SMALL_DATA });
    await waitForInitialTraining(server.url);
    const body = (await (await fetch(`${server.url}/api/stores?limit=100`)).json()) as {
      stores: { store: number; lastDate: string }[];
    };
    stores = body.stores.map((s) => s.store);
    lastDay = body.stores.map((s) => s.lastDate).sort()[0]!;
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  const day = (offset: number) =>
    new Date(Date.parse(`${lastDay}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  /**
   * The largest batch allowed, as the most work it can ask: 273 items of 365 days (99,645 points of
   * the 100,000 allowed), every item a question of its own across the batches (another store or start).
   */
  const maxBatch = (salt: number) =>
    JSON.stringify(
      Array.from({ length: 273 }, (_, i) => {
        const n = salt * 273 + i;
        const start = 1 + Math.floor(n / stores.length);
        return {
          store_id: String(stores[n % stores.length]),
          product_name: PRODUCT,
          begin_date: `${day(start)}T00:00:00Z`,
          end_date: `${day(start + 364)}T00:00:00Z`,
        };
      }),
    );

  it("answers another client's small forecast while one client floods the threads with maximum batches; the flood's queued work is dropped when it leaves", async () => {
    const url = `${server.url}/api/forecasters/forecast`;
    const before = await modelTasks(server.url);
    // Four of the largest batches allowed, every item a question of its own (no answer kept).
    const flood = [0, 1, 2, 3].map((salt) => postFrom(ATTACKER, url, maxBatch(salt)));
    await until(
      "the flood queued",
      () => modelTasks(server.url),
      (t) => t.queued > 500,
    );

    // Another client: a month not asked before, so its answer is computed in the threads (a week
    // would be computed on the request's thread, costing less than the hand-over).
    const res = await fetch(`${server.url}/api/forecasts/${stores[0]}/${PRODUCT}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ begin: day(650), end: day(679) }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { points: unknown[] }).points).toHaveLength(30);
    // It went ahead of the flood: the flood still waits, none of its requests has an answer.
    const during = await modelTasks(server.url);
    expect(during.queued).toBeGreaterThan(400);
    expect(flood.every((f) => !f.settled())).toBe(true);

    // The attacker leaves: what it still had queued is dropped, never run, and the threads go idle.
    for (const f of flood) f.abort();
    for (const f of flood) expect(await f.done).toBe("closed");
    const after = await until(
      "the flood dropped",
      () => modelTasks(server.url),
      (t) => t.queued === 0 && t.running === 0,
    );
    expect(after.cancelled - before.cancelled).toBeGreaterThan(400);
    expect(after.ok - during.ok).toBeLessThan(50);
  }, 180_000);
});
