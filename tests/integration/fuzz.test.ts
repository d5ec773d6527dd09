import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problems, send } from "../support/fuzz-http.js";
import {
  adhocBody,
  type BodyShape,
  body,
  encodeSegment,
  type FuzzRequest,
  hostile,
  live,
  method,
  params,
  path,
  query,
  request,
  seedForecastBody,
} from "../support/fuzz-inputs.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";

// Property-based fuzzing of every route's inputs against the production server process (`npm run
// build` first) on PGlite: no answer is a 5xx, every API 4xx is JSON naming the field (FastAPI's
// format under /api/forecasters and /api/trainers), no body shows a stack trace or a path of this
// machine. The seed is fixed so CI runs the same requests; FUZZ_SEED and FUZZ_RUNS (a multiplier)
// explore further; FUZZ_REPORT=1 lists every finding instead of stopping at the first. A failure
// prints the seed and the shrunk request.
const SEED = Number(process.env.FUZZ_SEED ?? 1407);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
const REPORT = process.env.FUZZ_REPORT === "1";
const SMALL_DATA = { GENERATE_STORES: "3", GENERATE_DAYS: "60", GENERATE_SEED: "7" };
const MB = 1024 * 1024;

const { store, product, version, runId, jobId } = params;
const none = fc.constant<BodyShape>({});
const anyBody = body(null, MB);

/** The native API (app/routes/_api+), by its declared paths. */
const nativeApi = fc.oneof(
  request(method("GET"), path(["api", "stores"], query(["q", "type", "limit", "offset", "sort"])), none),
  request(method("GET"), path(["api", "stores", store]), none),
  request(method("GET", "POST"), path(["api", "forecasts", store, product]), body(adhocBody, MB)),
  request(method("POST"), path(["api", "models", store, product, "retrain"]), anyBody),
  request(method("GET"), path(["api", "models", store, product, "versions"]), none),
  request(method("POST"), path(["api", "models", store, product, "versions", version, "promote"]), anyBody),
  request(method("POST"), path(["api", "train-all"]), anyBody),
  request(method("GET"), path(["api", "jobs"], query(["kind", "status", "limit"])), none),
  request(method("GET", "DELETE"), path(["api", "jobs", jobId]), anyBody),
  request(method("GET"), path(["api", "jobs", jobId, "events"]), none),
  request(method("GET"), path(["api", "pipeline-runs"], query(["kind", "status", "limit"])), none),
  request(method("GET"), path(["api", "pipeline-runs", runId]), none),
  request(method("POST"), path(["api", "pipeline-runs", runId, "retry"]), anyBody),
  request(method("GET"), path(["api", fc.constantFrom("openapi.json", "docs")], query(["x"])), none),
  request(method("GET", "POST"), path(["api", hostile, fc.option(hostile, { nil: "" })], query(["a"])), anyBody),
);

/** The reference-compatible API (app/routes/_seed+). */
const seedApi = fc.oneof(
  request(method("POST"), path(["api", "trainers", "train"]), anyBody),
  request(method("POST"), path(["api", "trainers", store, product, "train"]), anyBody),
  request(method("GET"), path(["api", "trainers", "training_job_status", jobId]), none),
  request(method("POST"), path(["api", "forecasters", "forecast"]), body(seedForecastBody, 16 * MB)),
  request(method("GET"), path(["api", "forecasters", "health"]), none),
  request(method("GET"), path(["api", fc.constantFrom("forecasters", "trainers"), "openapi.json"]), none),
  request(method("GET"), path(["api", fc.constantFrom("forecasters", "trainers"), "docs"]), none),
  request(method("GET", "POST"), path(["api", fc.constantFrom("forecasters", "trainers"), hostile]), anyBody),
);

/** Probes, metrics, static assets and any other address. */
const elsewhere = fc.oneof(
  request(method("GET"), path([fc.constantFrom("healthz", "readyz", "metrics")], query(["x"])), anyBody),
  request(method("GET"), path([fc.constantFrom("assets", "api/docs/assets", "favicon.ico"), hostile]), none),
  request(method("GET", "POST"), path([hostile], query(["x"])), anyBody),
  request(method("GET"), path([hostile, hostile]), none),
  request(
    fc.constant("GET"),
    fc.constantFrom("/%FF", "/api/%FF", "/api/forecasters/%FF", "/%", "/api/%", "/api/a%0Ab", "/api/trainers/%0D"),
    none,
  ),
);

const pageKeys = ["product", "begin", "end", "job", "q", "type", "sort", "dir", "page", "kind", "confirm", "promoted"];
const pageQuery = query(pageKeys, ["product_A", "2026-01-01", "1"]);
const pages = fc.oneof(
  path([""], pageQuery),
  path(["stores"], pageQuery),
  path(["stores", store], pageQuery),
  path(["stores", store, "forecast.csv"], pageQuery),
  path(["models"], pageQuery),
  path(["models", store, product], pageQuery),
  path(["pipelines"], pageQuery),
  path([hostile], pageQuery),
);

const formValue = fc.oneof(
  fc.constantFrom("retrain", "promote", "train-all", "product_A", "product_A\u0000", "1", "2026-01-01", ""),
  fc.string({ unit: "binary", maxLength: 30 }),
);
/**
 * A page form's fields: an intent the pages know most of the time, then any fields (product, version,
 * dates, anything), then the CSRF token as the pages send it (or none, or a wrong one), so that most
 * forms reach the action's own checks.
 */
const formFields = (names: string[]): fc.Arbitrary<[string, string][]> =>
  fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom("retrain", "promote", "train-all") },
        { weight: 1, arbitrary: formValue },
      ),
      fc.array(fc.tuple(fc.constantFrom(...names), formValue), { maxLength: 4 }),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(null).map(() => live.csrf) },
        { weight: 1, arbitrary: fc.constantFrom("", "x", "%00") },
      ),
    )
    .map(([intent, fields, csrf]) => [["intent", intent], ...fields, ["_csrf", csrf]]);
/** A page form, urlencoded or multipart, or any body. */
const formBody: fc.Arbitrary<BodyShape> = fc.oneof(
  formFields(["product", "version", "begin", "end", "x"]).map((pairs) => ({
    contentType: "application/x-www-form-urlencoded",
    body: Buffer.from(pairs.map(([k, v]) => `${k}=${encodeSegment(v)}`).join("&")),
  })),
  formFields(["product", "version", "x"]).map((pairs) => ({
    contentType: "multipart/form-data; boundary=fuzz",
    body: Buffer.from(
      `${pairs.map(([k, v]) => `--fuzz\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("")}--fuzz--\r\n`,
    ),
  })),
  body(null, MB),
);
const pageForms = fc.oneof(
  request(method("POST"), path(["stores", store], pageQuery), formBody),
  request(method("POST"), path(["models", store, product], pageQuery), formBody),
  request(method("POST"), path(["pipelines"], pageQuery), formBody),
  request(method("POST"), path([fc.constantFrom("", "stores", "models")], pageQuery), formBody),
);

describe("fuzzing every route's inputs on a live server", () => {
  const dataDir = tempDir("fuzz");
  let server: RunningServer;
  const tally = new Map<string, number>();
  const findings: string[] = [];

  beforeAll(async () => {
    // NODE_ENV=test, not production: a path to express's default error handler would show its stack.
    server = await startServer({
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      PGLITE_DIR: `${dataDir}/pglite`,
      DATA_DIR: dataDir,
      ...SMALL_DATA,
    });
    await untilTrained(server.url);
    live.origin = server.url;
    const pipelines = await (await fetch(`${server.url}/pipelines`)).text();
    live.csrf = /name="_csrf" value="([^"]+)"/.exec(pipelines)?.[1] ?? "";
    expect(live.csrf, "the pages' forms carry a CSRF token").not.toBe("");
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    console.info(`fuzz (seed ${SEED}): answers by status ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
    if (REPORT) console.info(`${findings.length} findings:\n${findings.join("\n\n")}`);
  });

  /** Runs `numRuns` generated requests; each answer must have no problem. */
  async function fuzz(requests: fc.Arbitrary<FuzzRequest>, numRuns: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(requests, async (req) => {
        let finding: string | null = null;
        try {
          const res = await send(server.url, req);
          tally.set(String(res.status), (tally.get(String(res.status)) ?? 0) + 1);
          const found = problems(req, res);
          if (found.length > 0) finding = `${describeRequest(req)}: ${found.join("; ")}\n${res.body.slice(0, 600)}`;
        } catch (err) {
          finding = `${describeRequest(req)}: ${(err as Error).message}`;
        }
        if (finding && REPORT) findings.push(finding);
        else if (finding) throw new Error(finding);
      }),
      { seed: SEED, numRuns: numRuns * RUNS },
    );
  }

  it("the native JSON API", () => fuzz(nativeApi, 250));
  it("the reference-compatible API", () => fuzz(seedApi, 150));
  it("probes, metrics, assets and unknown addresses", () => fuzz(elsewhere, 100));
  it("pages with odd addresses and parameters", () => fuzz(request(method("GET"), pages, none), 120));
  it("page forms", () => fuzz(pageForms, 100));

  it("refuses a page form declared at 100 MB with a 413 before any of it is sent", async () => {
    // Headers only: the answer must come while the body is still owed (it was read in full before).
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/stores/1`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(100 * MB) },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(status).toBe(413);
  });
});

function describeRequest(req: FuzzRequest): string {
  const size = req.body ? ` (${req.body.length} bytes${req.chunked ? ", chunked" : ""})` : "";
  return `${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(req.headers)}${size}`;
}

/** The initial training's train-all run finished: models exist, so forecasts and promotes go deep. */
async function untilTrained(base: string, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await fetch(`${base}/api/pipeline-runs?kind=train-all&limit=1`);
    const runs = ((await res.json()) as { runs?: { status: string }[] }).runs ?? [];
    if (runs[0]?.status === "SUCCEEDED") return;
    if (Date.now() > deadline) throw new Error(`initial training not finished: ${JSON.stringify(runs[0])}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
