/**
 * The reference system's HTTP contract, as its own clients use it (its Airflow DAG, its Streamlit
 * app, scripts written with Python `requests`): `requests.post(url, json=body)` sends
 * `application/json`, `resp.json()` reads the answer, and the clients index it by key
 * (`resp["train_job_id"]`, `resp["status"]`, `result["forecast"]`, `forecast["timestamp"]`,
 * parsed with `%Y-%m-%dT%H:%M:%S`). Run against a real server process on PGlite with the in-process
 * queue and on Postgres with BullMQ (tests/integration/api.test.ts). The server holds the small
 * generated data set (6 stores, product_A), fully trained.
 */
import { expect, it } from "vitest";

export interface SeedTarget {
  url: string;
}

const PRODUCT = "product_A";
const FINAL = new Set(["SUCCEEDED", "STOPPED", "FAILED"]);
/** The Streamlit app's and the DAG's format for the answer's timestamps. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

interface Resp {
  status_code: number;
  json: unknown;
  text: string;
  headers: Headers;
}

/** Python requests' `post(url, json=...)` / `get(url)`: JSON body, JSON answer (text kept too). */
async function request(
  url: string,
  method: "GET" | "POST",
  init: { json?: unknown; data?: string; headers?: Record<string, string> } = {},
): Promise<Resp> {
  const headers: Record<string, string> = { ...init.headers };
  let body: BodyInit | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["content-type"] ??= "application/json";
  } else if (init.data !== undefined) {
    // Bytes: fetch gives a string body a text/plain type, requests' `data=` sends none.
    body = new Blob([init.data]);
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status_code: res.status, json, text, headers: res.headers };
}

interface SeedForecastAnswer {
  request: { store_id: string; product_name: string; begin_date: string | null; end_date: string | null };
  forecast: { timestamp: string; value: number; lower_ci: number; upper_ci: number }[];
  api: { model_name: string; model_version: string };
}

/** Today 00:00 UTC plus `offset` days. */
const day = (offset: number) => new Date((Math.floor(Date.now() / 86_400_000) + offset) * 86_400_000);
/** strftime("%Y-%m-%dT%H:%M:%SZ"), as the reference's clients build their dates. */
const seedDate = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
const stamp = (d: Date) => d.toISOString().slice(0, 19);

export function defineSeedCases(target: () => SeedTarget): void {
  const url = (path: string) => `${target().url}${path}`;
  const post = (path: string, init?: Parameters<typeof request>[2]) => request(url(path), "POST", init);
  const get = (path: string) => request(url(path), "GET");
  let stores: number[] = [];

  /** The Streamlit app's wait_until_status: poll until SUCCEEDED, STOPPED or FAILED. */
  const waitUntilStatus = async (id: string, limitMs = 120_000): Promise<string> => {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const resp = await get(`/api/trainers/training_job_status/${id}`);
      expect(resp.status_code, resp.text).toBe(200);
      const body = resp.json as { train_job_id: string; status: string };
      expect(Object.keys(body).sort()).toEqual(["status", "train_job_id"]);
      expect(body.train_job_id).toBe(id);
      if (FINAL.has(body.status) || Date.now() > deadline) return body.status;
      expect(["PENDING", "RUNNING"]).toContain(body.status);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const forecast = async (items: unknown): Promise<SeedForecastAnswer[]> => {
    const resp = await post("/api/forecasters/forecast", { json: items });
    expect(resp.status_code, resp.text.slice(0, 500)).toBe(200);
    return resp.json as SeedForecastAnswer[];
  };

  it("reference client: lists the stores it will ask for", async () => {
    const resp = await get("/api/stores?limit=100");
    stores = (resp.json as { stores: { store: number }[] }).stores.map((s) => s.store);
    expect(stores.length).toBeGreaterThan(2);
  });

  it("POST /api/forecasters/forecast: the Streamlit app's week (today..today+7 days) is 8 points, both ends included", async () => {
    const begin = day(0);
    const end = day(7);
    const [answer] = await forecast([
      { store_id: stores[0], product_name: PRODUCT, begin_date: seedDate(begin), end_date: seedDate(end) },
    ]);
    expect(Object.keys(answer!).sort()).toEqual(["api", "forecast", "request"]);
    // The echo is the validated request: store_id a string, the dates as sent.
    expect(answer!.request).toEqual({
      store_id: String(stores[0]),
      product_name: PRODUCT,
      begin_date: seedDate(begin),
      end_date: seedDate(end),
    });
    expect(answer!.forecast.map((p) => p.timestamp)).toEqual(Array.from({ length: 8 }, (_, i) => stamp(day(i))));
    for (const p of answer!.forecast) {
      expect(Object.keys(p).sort()).toEqual(["lower_ci", "timestamp", "upper_ci", "value"]);
      expect(p.timestamp).toMatch(TIMESTAMP);
      for (const v of [p.value, p.lower_ci, p.upper_ci]) expect(Number.isInteger(v)).toBe(true);
      expect(p.lower_ci).toBeLessThanOrEqual(p.upper_ci);
    }
    expect(answer!.api).toEqual({
      model_name: `prophet-retail-forecaster-store-${stores[0]}-${PRODUCT}`,
      model_version: expect.stringMatching(/^\d+$/),
    });
  });

  it("POST /api/forecasters/forecast: exactly the 14 days asked, begin == end one point, end before begin none", async () => {
    const begin = day(3);
    const answers = await forecast([
      { store_id: String(stores[0]), product_name: PRODUCT, begin_date: seedDate(begin), end_date: seedDate(day(16)) },
      { store_id: stores[1], product_name: PRODUCT, begin_date: seedDate(begin), end_date: seedDate(begin) },
      { store_id: stores[2], product_name: PRODUCT, begin_date: seedDate(begin), end_date: seedDate(day(2)) },
    ]);
    expect(answers.map((a) => a.forecast.length)).toEqual([14, 1, 0]);
    expect(answers[0]!.forecast.at(-1)!.timestamp).toBe(stamp(day(16)));
    expect(answers[1]!.forecast[0]!.timestamp).toBe(stamp(begin));
    // An empty forecast still names the model.
    expect(answers[2]!.api.model_name).toBe(`prophet-retail-forecaster-store-${stores[2]}-${PRODUCT}`);
  });

  it("POST /api/forecasters/forecast: omitted dates default to today 00:00 UTC through 7 days later, and stay null in the echo", async () => {
    const [onlyBegin, none] = await forecast([
      { store_id: stores[0], product_name: PRODUCT, begin_date: seedDate(day(5)) },
      { store_id: stores[1], product_name: PRODUCT, begin_date: null, end_date: null },
    ]);
    expect(onlyBegin!.request).toEqual({
      store_id: String(stores[0]),
      product_name: PRODUCT,
      begin_date: seedDate(day(5)),
      end_date: null,
    });
    expect(onlyBegin!.forecast.map((p) => p.timestamp)).toEqual(Array.from({ length: 8 }, (_, i) => stamp(day(5 + i))));
    expect(none!.request).toEqual({
      store_id: String(stores[1]),
      product_name: PRODUCT,
      begin_date: null,
      end_date: null,
    });
    expect(none!.forecast.map((p) => p.timestamp)).toEqual(Array.from({ length: 8 }, (_, i) => stamp(day(i))));
  });

  it("POST /api/forecasters/forecast: a time of day stays in the timestamps; other keys are ignored", async () => {
    const begin = new Date(day(1).getTime() + 12 * 3_600_000);
    const [answer] = await forecast([
      { store_id: stores[0], product_name: PRODUCT, begin_date: seedDate(begin), end_date: seedDate(day(3)), x: 1 },
    ]);
    expect(answer!.forecast.map((p) => p.timestamp)).toEqual([
      stamp(begin),
      stamp(new Date(begin.getTime() + 86_400_000)),
    ]);
    expect(Object.keys(answer!.request)).toEqual(["store_id", "product_name", "begin_date", "end_date"]);
  });

  it("POST /api/forecasters/forecast: [] is []", async () => {
    expect(await forecast([])).toEqual([]);
  });

  it("POST /api/forecasters/forecast: the seed's whole batch (11,150 items with explicit dates, ~1.4 MB) in one request", async () => {
    const begin = seedDate(day(1));
    const end = seedDate(day(8));
    const items = Array.from({ length: 11_150 }, (_, i) => ({
      store_id: String(stores[i % stores.length]),
      product_name: PRODUCT,
      begin_date: begin,
      end_date: end,
    }));
    expect(JSON.stringify(items).length).toBeGreaterThan(1_048_576);
    const answers = await forecast(items);
    expect(answers).toHaveLength(11_150);
    expect(answers.every((a, i) => a.request.store_id === items[i]!.store_id && a.forecast.length === 8)).toBe(true);
  }, 120_000);

  it("POST /api/forecasters/forecast: a body pydantic refuses is a 422 with FastAPI's detail list", async () => {
    const ok = { store_id: stores[0], product_name: PRODUCT };
    const detail = async (init: Parameters<typeof request>[2]) => {
      const resp = await post("/api/forecasters/forecast", init);
      expect(resp.status_code, resp.text).toBe(422);
      const body = resp.json as { detail: { loc: unknown[]; msg: string; type: string }[] };
      expect(Object.keys(body)).toEqual(["detail"]);
      return body.detail.map(({ loc, type }) => ({ loc, type }));
    };
    expect(await detail({ json: [ok, { product_name: PRODUCT }] })).toEqual([
      { loc: ["body", 1, "store_id"], type: "value_error.missing" },
    ]);
    expect(await detail({ json: [{ store_id: null, product_name: [1] }] })).toEqual([
      { loc: ["body", 0, "store_id"], type: "type_error.none.not_allowed" },
      { loc: ["body", 0, "product_name"], type: "type_error.str" },
    ]);
    expect(await detail({ json: [{ ...ok, begin_date: "2025-06-01" }] })).toEqual([
      { loc: ["body", 0, "begin_date"], type: "value_error" },
    ]);
    expect(await detail({ json: [{ ...ok, end_date: "2025-02-30T00:00:00Z" }] })).toEqual([
      { loc: ["body", 0, "end_date"], type: "value_error" },
    ]);
    expect(await detail({ json: ok })).toEqual([{ loc: ["body"], type: "type_error.list" }]);
    expect(await detail({ json: ["x"] })).toEqual([{ loc: ["body", 0], type: "type_error.dict" }]);
    expect(await detail({})).toEqual([{ loc: ["body"], type: "value_error.missing" }]);
    expect(await detail({ data: '[{"store_id": 1,', headers: { "content-type": "application/json" } })).toEqual([
      { loc: ["body", expect.any(Number)], type: "value_error.jsondecode" },
    ]);
    // A body that is not sent as JSON is bytes to FastAPI, and bytes are no list.
    expect(await detail({ data: JSON.stringify([ok]), headers: { "content-type": "text/plain" } })).toEqual([
      { loc: ["body"], type: "type_error.list" },
    ]);
    // requests' `data=` with no content type: FastAPI parses it as JSON.
    const untyped = await post("/api/forecasters/forecast", { data: JSON.stringify([ok]) });
    expect(untyped.status_code, untyped.text).toBe(200);
  });

  it("POST /api/forecasters/forecast: a series with no production model is a 404 naming it, as JSON", async () => {
    for (const [item, index] of [
      [{ store_id: 999_999, product_name: PRODUCT }, 1],
      [{ store_id: stores[0], product_name: "product_Z" }, 1],
      [{ store_id: "abc", product_name: PRODUCT }, 1],
    ] as const) {
      const resp = await post("/api/forecasters/forecast", {
        json: [{ store_id: stores[0], product_name: PRODUCT }, item],
      });
      expect(resp.status_code, resp.text).toBe(404);
      const body = resp.json as { detail: string; model_name: string; index: number };
      expect(body.model_name).toBe(`prophet-retail-forecaster-store-${item.store_id}-${item.product_name}`);
      expect(body.index).toBe(index);
      expect(body.detail).toContain(body.model_name);
    }
  });

  it("POST /api/forecasters/forecast: beyond the stated limits, 413 with a JSON detail", async () => {
    const tooMany = await post("/api/forecasters/forecast", {
      json: Array.from({ length: 50_001 }, () => ({ store_id: 1, product_name: "p" })),
    });
    expect(tooMany.status_code).toBe(413);
    expect(typeof (tooMany.json as { detail: string }).detail).toBe("string");
    const huge = await post("/api/forecasters/forecast", { data: `[${" ".repeat(17 * 1024 * 1024)}]` });
    expect(huge.status_code).toBe(413);
  });

  it("POST /api/forecasters/forecast: a date outside the forecast window is a 422 on that item's field, naming the window", async () => {
    const resp = await post("/api/forecasters/forecast", {
      json: [
        { store_id: stores[0], product_name: PRODUCT },
        {
          store_id: stores[1],
          product_name: PRODUCT,
          begin_date: "9999-01-01T00:00:00Z",
          end_date: "9999-01-07T00:00:00Z",
        },
        { store_id: stores[1], product_name: PRODUCT, begin_date: seedDate(day(700)), end_date: seedDate(day(1000)) },
      ],
    });
    expect(resp.status_code, resp.text).toBe(422);
    const { detail } = resp.json as {
      detail: { loc: unknown[]; msg: string; type: string; ctx: Record<string, string> }[];
    };
    expect(detail.map((d) => [d.loc, d.type])).toEqual([
      [["body", 1, "begin_date"], "value_error"],
      [["body", 2, "end_date"], "value_error"],
    ]);
    expect(detail[0]!.msg).toMatch(
      /^begin_date 9999-01-01 is outside the forecast window: .* to .* \(the first sales day to 730 days after the newest/,
    );
    expect(Object.keys(detail[0]!.ctx).sort()).toEqual(["window_first", "window_last"]);
    expect(detail[0]!.msg).toContain(detail[0]!.ctx.window_last!);
  });

  it("POST /api/forecasters/forecast: more than 100,000 forecast points (items x days) is a 413 naming the limit", async () => {
    // The finding: 15,500 items x 365 days answered 456 MB and took RSS from 0.9 to 3.4 GB.
    const items = (n: number, days: number) =>
      Array.from({ length: n }, (_, i) => ({
        store_id: String(stores[i % stores.length]),
        product_name: PRODUCT,
        begin_date: seedDate(day(1)),
        end_date: seedDate(day(days)),
      }));
    const resp = await post("/api/forecasters/forecast", { json: items(15_500, 365) });
    expect(resp.status_code, resp.text.slice(0, 300)).toBe(413);
    expect(resp.json).toEqual({
      detail: expect.stringContaining("at most 100000 forecast points (items x days), got 5657500"),
      field: "body",
      limit: 100_000,
      points: 5_657_500,
    });
    expect((await post("/api/forecasters/forecast", { json: items(12_501, 8) })).status_code).toBe(413);
    // At the limit: answered in full (streamed).
    const atLimit = await post("/api/forecasters/forecast", { json: items(12_500, 8) });
    expect(atLimit.status_code).toBe(200);
    expect((atLimit.json as SeedForecastAnswer[]).reduce((n, a) => n + a.forecast.length, 0)).toBe(100_000);
  }, 120_000);

  it("GET /api/forecasters/health: serviceStatus and modelTrackingHealth", async () => {
    const resp = await get("/api/forecasters/health");
    expect(resp.status_code).toBe(200);
    expect(resp.json).toMatchObject({ serviceStatus: "OK", modelTrackingHealth: "Service returning experiments" });
  });

  it("POST /api/trainers/{store_id}/{product_name}/train, then the app's wait_until_status", async () => {
    const resp = await post(`/api/trainers/${stores[0]}/${PRODUCT}/train`);
    expect(resp.status_code, resp.text).toBe(200);
    const body = resp.json as { train_job_id: string; status: string };
    expect(Object.keys(body).sort()).toEqual(["status", "train_job_id"]);
    expect(body.status).toBe("SUBMITTED");
    expect(await waitUntilStatus(body.train_job_id)).toBe("SUCCEEDED");
  });

  it("POST /api/trainers/{store_id}/{product_name}/train of a series that does not exist: accepted, then FAILED", async () => {
    const resp = await post(`/api/trainers/999999/${PRODUCT}/train`);
    expect(resp.status_code, resp.text).toBe(200);
    const { train_job_id } = resp.json as { train_job_id: string };
    expect(await waitUntilStatus(train_job_id)).toBe("FAILED");
    const native = (await get(`/api/jobs/${train_job_id}`)).json as { error: string };
    expect(native.error).toMatch(/unknown store 999999/);
  });

  it("POST /api/trainers/{store_id}/{product_name}/train with a store id that is no integer: 422 on the path", async () => {
    const resp = await post(`/api/trainers/abc/${PRODUCT}/train`);
    expect(resp.status_code).toBe(422);
    expect(resp.json).toEqual({
      detail: [{ loc: ["path", "store_id"], msg: "value is not a valid integer", type: "type_error.integer" }],
    });
  });

  it("POST /api/trainers/train: the DAG's train-all, polled to SUCCEEDED", async () => {
    const resp = await post("/api/trainers/train", { json: {} });
    expect(resp.status_code).toBe(200);
    const { train_job_id, status } = resp.json as { train_job_id: string; status: string };
    expect(status).toBe("SUBMITTED");
    expect(await waitUntilStatus(train_job_id)).toBe("SUCCEEDED");
  });

  it("GET /api/trainers/training_job_status/{id} of an unknown id: 400 with status ERROR, as the reference", async () => {
    const resp = await get("/api/trainers/training_job_status/raysubmit_nosuchjob");
    expect(resp.status_code).toBe(400);
    expect(resp.json).toEqual({ train_job_id: "raysubmit_nosuchjob", status: "ERROR", error: "Task not found" });
  });

  it("a method a path does not serve: FastAPI's 405", async () => {
    const resp = await get("/api/forecasters/forecast");
    expect(resp.status_code).toBe(405);
    expect(resp.json).toEqual({ detail: "Method Not Allowed" });
    expect(resp.headers.get("allow")).toBe("POST");
  });

  it("a path neither service has: FastAPI's 404", async () => {
    const resp = await get("/api/forecasters/no-such-path");
    expect(resp.status_code).toBe(404);
    expect(resp.json).toEqual({ detail: "Not Found" });
  });
}
