/**
 * The native API's contract: for each route of app/routes/_api+ and method, its path, parameters,
 * request body and every answer by status, as zod schemas. The routes validate requests with these
 * and type their answers by them; the OpenAPI document (openapi.server.ts, beside this file) is generated
 * from them (a schema with a `meta` id is one of its components.schemas), and tests/support/api-cases.ts
 * checks a live answer of every endpoint against them.
 */
import { z } from "zod";
import { JOB_KINDS, JOB_STATUSES } from "../../jobs/port.js";
import { RUN_STATUSES } from "../../pipelines/runs.server.js";
import { STAGES } from "../../registry/versions.server.js";
import { hasNul, MAX_INT32, MAX_PRODUCT_NAME } from "../../rossmann.js";
import { queryInt } from "../../server/api.server.js";
import { day, ERRORS, endpoint, failure, json, openapiBody, timestamp } from "../../server/api-contract.server.js";
import { JOB_ACCEPTED, jobProgress, jobSchema } from "../../server/api-jobs.server.js";
import { accessApi } from "./access-contract.server.js";
import { accuracyApi } from "./accuracy-contract.server.js";
import { anomaliesApi } from "./anomalies-contract.server.js";
import { driftApi } from "./drift-contract.server.js";
import { schedulesApi } from "./schedules-contract.server.js";

// -------------------------------------------------------------------------------------------------
// Requests

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a YYYY-MM-DD date");

export const adhocForecastBody = z.object({
  begin: isoDay.describe("first day, YYYY-MM-DD, inclusive"),
  end: isoDay.describe("last day, YYYY-MM-DD, inclusive; at most 365 days after begin"),
});

export const storesQuery = z.object({
  q: z
    .string()
    .regex(/^\d{1,10}$/, "expected the digits a store number starts with")
    .optional()
    .describe("store numbers starting with these digits"),
  type: z
    .string()
    .regex(/^[a-dA-D]$/, "expected a store type a, b, c or d")
    .optional()
    .describe("store type"),
  limit: queryInt(1, 1000, 100).describe("page size"),
  offset: queryInt(0, 1_000_000, 0).describe("stores to skip"),
});

export const jobsQuery = z.object({
  kind: z.enum(JOB_KINDS).optional(),
  limit: queryInt(1, 500, 50).describe("at most this many"),
});

export const runsQuery = z.object({
  kind: z
    .string()
    .min(1)
    .max(40)
    .refine((v) => !hasNul(v), "must not contain a NUL character")
    .optional()
    .describe("train-all, train-weekly, retrain, ingest-daily, ..."),
  limit: queryInt(1, 500, 50).describe("at most this many"),
});

// Path parameters: the routes check them with parseStore, parseProduct and parsePositiveInt
// (app/server/api.server.ts); these say the same for the document.
const store = z.int().min(1).max(MAX_INT32).describe("store number (a positive integer)");
const product = z.string().min(1).max(MAX_PRODUCT_NAME).describe("product name, e.g. product_A");
const seriesPath = z.object({ store, product });
const jobPath = z.object({ id: z.string().min(1).max(200).describe("job id") });
const runPath = z.object({ id: z.int().min(1).max(MAX_INT32).describe("pipeline run id") });

// -------------------------------------------------------------------------------------------------
// Answers

const storeSummary = z.strictObject({
  store: z.int(),
  storeType: z.string().nullable(),
  assortment: z.string().nullable(),
  products: z.array(z.string()),
  rows: z.int(),
  firstDate: day,
  lastDate: day,
});

const storeList = z
  .strictObject({
    total: z.int().describe("stores matching, over every page"),
    limit: z.int(),
    offset: z.int(),
    stores: z.array(storeSummary),
  })
  .meta({ id: "StoreList" });

const storeDetail = z
  .strictObject({
    store: z.int(),
    storeType: z.string().nullable(),
    assortment: z.string().nullable(),
    history: z.strictObject({ rows: z.int(), firstDate: day, lastDate: day }),
    products: z.array(
      z.strictObject({
        product: z.string(),
        rows: z.int(),
        openDays: z.int(),
        firstDate: day,
        lastDate: day,
        avgOpenSales: z.int().nullable(),
        totalSales: z.number(),
        model: z.strictObject({ name: z.string(), productionVersion: z.int().nullable() }).nullable(),
      }),
    ),
  })
  .meta({ id: "StoreDetail" });

const forecastPoint = z
  .strictObject({
    date: day,
    value: z.number(),
    lower: z.number().describe("95% interval"),
    upper: z.number(),
  })
  .meta({ id: "ForecastPoint" });

const forecastModel = z.strictObject({ name: z.string(), version: z.int() });

const weeklyForecast = z
  .strictObject({
    store: z.int(),
    product: z.string(),
    kind: z.literal("weekly"),
    model: forecastModel,
    createdOn: timestamp,
    points: z.array(forecastPoint),
  })
  .meta({ id: "WeeklyForecast" });

const adhocForecast = z
  .strictObject({
    store: z.int(),
    product: z.string(),
    kind: z.literal("adhoc"),
    begin: day,
    end: day,
    model: forecastModel,
    points: z.array(forecastPoint),
  })
  .meta({ id: "AdhocForecast" });

const nullableNumber = z.number().nullable();

const version = z
  .strictObject({
    id: z.int(),
    modelId: z.int(),
    name: z.string(),
    store: z.int(),
    productname: z.string(),
    version: z.int(),
    stage: z.enum(STAGES),
    trainStart: day,
    trainEnd: day,
    trainRows: z.int(),
    cv: z
      .strictObject({
        folds: z.array(z.unknown()).describe("per fold: its window, scored open days and metrics"),
        mean: z.strictObject({
          rmse: z.number(),
          mape: z.number(),
          mae: z.number(),
          mdae: z.number(),
          rmspe: z.number(),
        }),
      })
      .nullable()
      .describe("walk-forward cross-validation: per-fold and mean RMSE, MAPE, MAE, MdAE, RMSPE"),
    cvRmspe: nullableNumber,
    cvRmse: nullableNumber,
    cvMape: nullableNumber,
    cvMae: nullableNumber,
    cvMdae: nullableNumber,
    durationMs: z.int(),
    pipelineRunId: z.int().nullable(),
    createdAt: timestamp,
    promotedAt: timestamp.nullable().describe("when it last became production"),
  })
  .meta({ id: "Version" });

const versionList = z
  .strictObject({
    store: z.int(),
    product: z.string(),
    model: z.string(),
    productionVersion: z.int().nullable(),
    versions: z.array(version),
  })
  .meta({ id: "VersionList" });

const promoted = z.strictObject({ store: z.int(), product: z.string(), promoted: version });

const pipelineRun = z
  .strictObject({
    id: z.int(),
    kind: z.string(),
    status: z.enum(RUN_STATUSES),
    params: z.unknown(),
    counts: z.record(z.string(), z.unknown()).nullable(),
    steps: z.array(z.strictObject({ name: z.string(), startedAt: timestamp, ms: z.int() })),
    progressDone: z.int(),
    progressTotal: z.int(),
    error: z.string().nullable(),
    jobId: z.string().nullable(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    durationMs: z.int().nullable(),
  })
  .meta({ id: "PipelineRun" });

/** One server-sent event of a job: its whole state; `result` once SUCCEEDED. */
export const jobEvent = z
  .strictObject({
    id: z.string(),
    status: z.enum(JOB_STATUSES),
    progress: jobProgress.nullable(),
    error: z.string().nullable(),
    result: z.unknown().optional(),
  })
  .meta({ id: "JobEvent" });

const cancelled = jobSchema.extend({ cancelled: z.literal(true) }).meta({ id: "CancelledJob" });

// -------------------------------------------------------------------------------------------------
// Endpoints

export const nativeApi = {
  listStores: endpoint({
    method: "get",
    path: "/api/stores",
    summary: "Stores with sales history, their products and history span, paged",
    tags: ["stores"],
    query: storesQuery,
    responses: { 200: json(storeList), 400: ERRORS[400] },
  }),
  getStore: endpoint({
    method: "get",
    path: "/api/stores/{store}",
    summary: "A store: its products, history summary and production models",
    tags: ["stores"],
    params: z.object({ store }),
    responses: { 200: json(storeDetail), 400: ERRORS[400], 404: ERRORS[404] },
  }),
  weeklyForecast: endpoint({
    method: "get",
    path: "/api/forecasts/{store}/{product}",
    summary: "The latest weekly 7-day forecast (404 when the series has none yet)",
    tags: ["forecasts"],
    params: seriesPath,
    responses: { 200: json(weeklyForecast), 400: ERRORS[400], 404: ERRORS[404] },
  }),
  adhocForecast: endpoint({
    method: "post",
    path: "/api/forecasts/{store}/{product}",
    summary: "An ad-hoc forecast from the production model (not stored); begin and end inclusive, <= 365 days",
    description:
      "Both days must lie in the forecast window: from the first sales day to FORECAST_HORIZON_DAYS " +
      "(default 730) after the newest. A date outside answers 400 at once, `details.field` naming it " +
      "and `details.window` giving the first and last allowed day. The forecast waits for the model " +
      "threads in its client's fair share; one the threads stop at their time limit answers 503.",
    tags: ["forecasts"],
    params: seriesPath,
    body: adhocForecastBody,
    responses: {
      200: json(adhocForecast),
      400: ERRORS[400],
      404: ERRORS[404],
      413: ERRORS[413],
      415: ERRORS[415],
      503: failure("the forecast ran past the model-thread time limit (`details.limitMs`)"),
    },
  }),
  retrain: endpoint({
    method: "post",
    path: "/api/models/{store}/{product}/retrain",
    summary: "Retrain one series: enqueues a train-one job (deduplicated while one is pending or running)",
    description:
      "Once the series' retrain finished, another within RETRAIN_COOLDOWN_S of the last one asked for is " +
      "refused (429, `details.retryAfterSeconds`, `details.retryAt`), whichever replica is asked.",
    tags: ["models"],
    params: seriesPath,
    responses: { 202: JOB_ACCEPTED, 400: ERRORS[400], 404: ERRORS[404], 429: ERRORS[429], 503: ERRORS[503] },
  }),
  versions: endpoint({
    method: "get",
    path: "/api/models/{store}/{product}/versions",
    summary: "Every version of the series' model, newest first, with CV metrics and stage",
    tags: ["models"],
    params: seriesPath,
    responses: { 200: json(versionList), 400: ERRORS[400], 404: ERRORS[404] },
  }),
  promote: endpoint({
    method: "post",
    path: "/api/models/{store}/{product}/versions/{version}/promote",
    summary: "Put a version in production (rollback when older); the previous one is archived",
    tags: ["models"],
    params: seriesPath.extend({ version: z.int().min(1).max(MAX_INT32) }),
    responses: { 200: json(promoted), 400: ERRORS[400], 404: ERRORS[404] },
  }),
  trainAll: endpoint({
    method: "post",
    path: "/api/train-all",
    summary: "Retrain every series: enqueues a train-all job",
    tags: ["models"],
    responses: { 202: JOB_ACCEPTED, 503: ERRORS[503] },
  }),
  retention: endpoint({
    method: "post",
    path: "/api/retention",
    summary: "Apply the retention policy now: enqueues a retention job (one already pending or running is returned)",
    description:
      "Deletes what the RETENTION_* settings no longer keep (old model versions and their forecasts, finished " +
      "pipeline runs, stream rejects, job records); it also runs daily on RETENTION_CRON. Its counts are the " +
      "`retention` pipeline run's.",
    tags: ["pipeline-runs"],
    responses: { 202: JOB_ACCEPTED, 503: ERRORS[503] },
  }),
  ...anomaliesApi,
  listJobs: endpoint({
    method: "get",
    path: "/api/jobs",
    summary: "Recent jobs, newest first",
    tags: ["jobs"],
    query: jobsQuery,
    responses: { 200: json(z.strictObject({ jobs: z.array(jobSchema) })), 400: ERRORS[400], 503: ERRORS[503] },
  }),
  getJob: endpoint({
    method: "get",
    path: "/api/jobs/{id}",
    summary: "A job: status, progress, result or error",
    tags: ["jobs"],
    params: jobPath,
    responses: { 200: json(jobSchema), 404: ERRORS[404], 503: ERRORS[503] },
  }),
  cancelJob: endpoint({
    method: "delete",
    path: "/api/jobs/{id}",
    summary: "Cancel a job: a pending one is removed (200, STOPPED); a running one is told to stop (202)",
    tags: ["jobs"],
    params: jobPath,
    responses: {
      200: json(cancelled, "stopped"),
      202: json(cancelled, "stopping"),
      404: ERRORS[404],
      409: failure("the job has already finished"),
      503: ERRORS[503],
    },
  }),
  jobEvents: endpoint({
    method: "get",
    path: "/api/jobs/{id}/events",
    summary: "Server-sent events of one job",
    description:
      "The current state first, then one event per status or progress change; each `data:` line is " +
      "`{id, status, progress, error, result?}` (result once SUCCEEDED). The stream ends after a final " +
      "status (SUCCEEDED, FAILED, STOPPED). A `: heartbeat` comment every 15 s.",
    tags: ["jobs"],
    params: jobPath,
    responses: { 200: { description: "event stream", events: jobEvent }, 404: ERRORS[404], 503: ERRORS[503] },
  }),
  listRuns: endpoint({
    method: "get",
    path: "/api/pipeline-runs",
    summary: "Pipeline runs (train-all, train-weekly, retrain, ingest-daily, ...), newest first",
    tags: ["pipeline-runs"],
    query: runsQuery,
    responses: { 200: json(z.strictObject({ runs: z.array(pipelineRun) })), 400: ERRORS[400] },
  }),
  getRun: endpoint({
    method: "get",
    path: "/api/pipeline-runs/{id}",
    summary: "One run with steps, timings, counts, progress and error",
    tags: ["pipeline-runs"],
    params: runPath,
    responses: { 200: json(pipelineRun), 400: ERRORS[400], 404: ERRORS[404] },
  }),
  retryRun: endpoint({
    method: "post",
    path: "/api/pipeline-runs/{id}/retry",
    summary: "Run a failed or stopped run again as a new job",
    tags: ["pipeline-runs"],
    params: runPath,
    responses: {
      202: JOB_ACCEPTED,
      400: ERRORS[400],
      404: ERRORS[404],
      409: failure("the run is pending, running or succeeded, or its kind cannot be retried"),
      503: ERRORS[503],
    },
  }),
  ...accessApi,
  ...driftApi,
  ...accuracyApi,
  ...schedulesApi,
  openapi: endpoint({
    method: "get",
    path: "/api/openapi.json",
    summary: "This document (Swagger UI: /api/docs)",
    tags: ["docs"],
    responses: { 200: json(openapiBody) },
  }),
};
