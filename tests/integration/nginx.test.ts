import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProcess, startNginx, untilTrained } from "../support/ops-tools.js";
import { freePort, type RunningServer, startServer, tempDir } from "../support/processes.js";
import { sseEvents } from "../support/sse.js";

// The production server (embedded defaults) behind Debian's nginx running nginx/nginx.conf, as
// docker-compose puts them; only the upstream and the listening port differ. One model thread and
// 30 stores: a train-all lasts long enough to watch its events arrive while it runs.
/** A day this many days after today (the generated data ends yesterday: inside the forecast window). */
const fromToday = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const DATA = { GENERATE_STORES: "30", GENERATE_DAYS: "60", GENERATE_SEED: "7", MODEL_THREADS: "1" };

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose answer is read as sent (fetch would decompress it and hide Content-Encoding). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}) {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

interface JobEventData {
  id: string;
  status: string;
  progress: { done: number; total: number } | null;
}

const FINAL = new Set(["SUCCEEDED", "FAILED", "STOPPED"]);

describe("nginx in front of the running app", () => {
  let app: RunningServer;
  let nginx: RunningProcess;

  beforeAll(async () => {
    const dataDir = tempDir("nginx-app");
    app = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...DATA });
    nginx = await startNginx(new URL(app.url).host);
    await untilTrained(app.url);
  });
  afterAll(async () => {
    await nginx?.stop();
    await app?.stop("SIGKILL");
  });

  it("serves the web app's pages through the proxy, gzip-compressed", async () => {
    const page = await raw(`${nginx.url}/`, { headers: { "Accept-Encoding": "gzip" } });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-encoding"]).toBe("gzip");
    expect(page.headers.vary).toMatch(/Accept-Encoding/i);
    const html = gunzipSync(page.body).toString("utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toMatch(/storecast/i);
    // A client that does not ask for gzip gets the page as is.
    const plain = await raw(`${nginx.url}/`);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString("utf8")).toMatch(/^<!DOCTYPE html>/i);
    // JSON is compressed too, and static assets are served.
    const openapi = await raw(`${nginx.url}/api/openapi.json`, { headers: { "Accept-Encoding": "gzip" } });
    expect(openapi.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(gunzipSync(openapi.body).toString("utf8"))).toMatchObject({ openapi: "3.1.0" });
    const asset = /(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(`${nginx.url}${asset}`)).status).toBe(200);
  });

  it("passes the reference system's API through unchanged, the seed's whole batch included", async () => {
    const health = await fetch(`${nginx.url}/api/forecasters/health`);
    expect(await health.json()).toMatchObject({ serviceStatus: "OK" });
    const items = Array.from({ length: 11_150 }, (_, i) => ({
      store_id: String((i % 30) + 1),
      product_name: "product_A",
      begin_date: `${fromToday(60)}T00:00:00Z`,
      end_date: `${fromToday(67)}T00:00:00Z`,
    }));
    const res = await fetch(`${nginx.url}/api/forecasters/forecast`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(items),
    });
    expect(res.status).toBe(200);
    const answers = (await res.json()) as {
      request: { store_id: unknown };
      forecast: { timestamp: string; value: number }[];
      api: { model_name: string; model_version: string };
    }[];
    expect(answers).toHaveLength(11_150);
    expect(answers[0]?.forecast.map((p) => p.timestamp)).toEqual(
      Array.from({ length: 8 }, (_, i) => `${fromToday(60 + i)}T00:00:00`),
    );
    expect(answers[0]?.api.model_name).toBe("prophet-retail-forecaster-store-1-product_A");
    expect(Number.isInteger(answers[1]?.forecast[0]?.value)).toBe(true);
    // Errors keep the app's JSON shape and status.
    const missing = await fetch(`${nginx.url}/api/forecasters/forecast`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([{ store_id: 999999, product_name: "product_A" }]),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ model_name: "prophet-retail-forecaster-store-999999-product_A" });
  });

  it("streams a job's server-sent events as they happen, not when the job ends", async () => {
    // The reference route submits a train-all; its events come through the proxy.
    const submitted = await fetch(`${nginx.url}/api/trainers/train`, { method: "POST" });
    expect(submitted.status).toBe(200);
    const { train_job_id: id } = (await submitted.json()) as { train_job_id: string };
    const res = await fetch(`${nginx.url}/api/jobs/${id}/events`, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("content-encoding")).toBeNull();
    const events = sseEvents<JobEventData>(res.body!);
    try {
      const first = await events.next();
      expect(first?.id).toBe(id);
      expect(FINAL.has(first?.status ?? "")).toBe(false);
      // The job is stopped only now, after the first event arrived: a proxy that buffered the stream
      // would have held that event until the job ended on its own (SUCCEEDED), and it never would
      // have been STOPPED.
      const cancel = await fetch(`${app.url}/api/jobs/${id}`, { method: "DELETE" });
      expect([200, 202]).toContain(cancel.status); // 200: stopped while still PENDING
      const seen: JobEventData[] = [first as JobEventData];
      for (let e = await events.next(); e; e = await events.next()) seen.push(e);
      expect(seen.at(-1)?.status).toBe("STOPPED");
      expect(seen.filter((e) => FINAL.has(e.status))).toHaveLength(1);
    } finally {
      await events.cancel().catch(() => {});
    }
    const status = await fetch(`${nginx.url}/api/trainers/training_job_status/${id}`);
    expect(await status.json()).toEqual({ train_job_id: id, status: "STOPPED" });
  });

  it("does not expose /metrics, however the path is spelled; the app itself serves it", async () => {
    for (const p of ["/metrics", "/metrics/", "/metrics?x=1", "/METRICS", "/Metrics/", "//metrics", "/%6Detrics"]) {
      const res = await raw(`${nginx.url}${p}`);
      expect(res.status, p).toBe(404);
      expect(res.body.toString("utf8"), p).not.toContain("storecast_");
    }
    const dotted = await raw(`${nginx.url}/api/../metrics`);
    expect(dotted.status).toBe(404);
    const direct = await fetch(`${app.url}/metrics`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain("storecast_http_request_duration_seconds_count");
  });

  it("passes the client's Host on: the names the app serves reach it, a rebinding name gets the app's 421", async () => {
    for (const host of ["localhost", "127.0.0.1", `localhost:${new URL(nginx.url).port}`]) {
      const res = await raw(`${nginx.url}/api/stores?limit=1`, { headers: { Host: host } });
      expect(res.status, host).toBe(200);
    }
    const evil = await raw(`${nginx.url}/api/stores?limit=1`, { headers: { Host: "evil.example" } });
    expect(evil.status).toBe(421);
    expect(JSON.parse(evil.body.toString("utf8"))).toMatchObject({ details: { field: "Host" } });
  });

  it("leaves bodies just over the app's limits to the app's JSON 413, and refuses far larger ones itself", async () => {
    const post = (path: string, bytes: number) =>
      raw(`${nginx.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: Buffer.alloc(bytes, " "),
      });
    const overApp = await post("/api/forecasts/1/product_A", 1.5 * 1024 * 1024);
    expect(overApp.status).toBe(413);
    expect(JSON.parse(overApp.body.toString("utf8"))).toMatchObject({ details: { field: "body" } });
    const overProxy = await post("/api/forecasts/1/product_A", 3 * 1024 * 1024);
    expect(overProxy.status).toBe(413);
    expect(overProxy.body.toString("utf8")).toContain("<html>");
    // The reference batch forecast: 16 MB in the app (FastAPI's detail shape), 17 MB at the proxy.
    const overSeed = await post("/api/forecasters/forecast", 16.5 * 1024 * 1024);
    expect(overSeed.status).toBe(413);
    expect(JSON.parse(overSeed.body.toString("utf8"))).toMatchObject({ detail: expect.stringMatching(/too large/) });
    expect((await post("/api/forecasters/forecast", 18 * 1024 * 1024)).status).toBe(413);
  });

  // Last in this group: it spends this address's budgets (they refill in seconds).
  it("limits request rates per address beyond the burst: 429 JSON with Retry-After, reads of pages untouched", async () => {
    const statuses = async (n: number, path: string, method: string) => {
      const answers = await Promise.all(
        Array.from({ length: n }, () =>
          raw(`${nginx.url}${path}`, { method }).then((r) => ({ status: r.status, headers: r.headers, body: r.body })),
        ),
      );
      return answers;
    };
    // Requests that change something: at most 20 at once pass (an unknown run: the app's 404; fewer
    // when the cases above spent some), the rest are refused.
    const posts = await statuses(60, "/api/pipeline-runs/999999/retry", "POST");
    const passed = posts.filter((a) => a.status === 404);
    const refused = posts.filter((a) => a.status === 429);
    expect(passed.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(30);
    expect(passed.length + refused.length).toBe(60);
    expect(refused[0]?.headers["retry-after"]).toBe("1");
    expect(refused[0]?.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(refused[0]!.body.toString("utf8"))).toEqual({
      error: expect.stringMatching(/too many requests/),
      details: { proxy: "nginx", limit: "limit_req" },
    });
    // Form posts to the pages count against the same budget, spent above.
    const forms = await statuses(30, "/pipelines", "POST");
    expect(forms.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(20);
    // Every API request: at most 40 at once pass (the posts above spent some), the rest are refused.
    const reads = await statuses(120, "/api/forecasters/health", "GET");
    expect(reads.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(reads.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(60);
    // Pages are read without limit.
    const pages = await statuses(60, "/healthz", "GET");
    expect(pages.every((a) => a.status === 200)).toBe(true);
  });
});

describe("nginx with no app behind it", () => {
  let nginx: RunningProcess;

  beforeAll(async () => {
    nginx = await startNginx(`127.0.0.1:${await freePort()}`);
  });
  afterAll(async () => {
    await nginx?.stop();
  });

  it("answers 502 with a JSON error in the app's shape", async () => {
    const res = await fetch(`${nginx.url}/api/stores`);
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({
      error: expect.stringMatching(/not reachable/),
      details: { proxy: "nginx" },
    });
  });
});
