/**
 * The OpenAPI 3.1 document of the HTTP API, served at GET /api/openapi.json. Request bodies come
 * from the zod schemas the routes validate with (app/server/api.server.ts), so the two cannot drift.
 */
import { type ZodType, z } from "zod";
import { JOB_KINDS, JOB_STATUSES } from "../jobs/port.js";
import { adhocForecastBody } from "../routes/_api+/contract.server.js";
import { seedForecastBody } from "../routes/_seed+/contract.server.js";
import { MAX_BODY_BYTES } from "./api.server.js";

type Json = Record<string, unknown>;

function bodySchema(schema: ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input" }) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = "OK") => ({ description, content: { "application/json": { schema } } });
const error = (description: string) => json(ref("Error"), description);

const storeParam = {
  name: "store",
  in: "path",
  required: true,
  description: "store number (a positive integer)",
  schema: { type: "integer", minimum: 1 },
};
const productParam = {
  name: "product",
  in: "path",
  required: true,
  description: "product name, e.g. product_A",
  schema: { type: "string", minLength: 1, maxLength: 100 },
};
const jobIdParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
const intQuery = (name: string, min: number, max: number, dflt: number, description: string) => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type: "integer", minimum: min, maximum: max, default: dflt },
});

const E400 = error("invalid input: `details.field` names the parameter or body field at fault");
const E404 = error(
  "not found: `details.entity` says what (store, product, model, version, forecast, job, pipeline-run)",
);
const E413 = error(`request body larger than ${MAX_BODY_BYTES} bytes`);
const E415 = error("a body that is not application/json");
const E503 = error("the job queue is not available");

const jsonBody = (schema: Json, required = true) => ({
  required,
  content: { "application/json": { schema } },
});

const accepted = {
  description: "accepted: the job is queued (or the same job, already pending or running, when deduplicated)",
  headers: { Location: { schema: { type: "string" }, description: "/api/jobs/{job_id}" } },
  content: { "application/json": { schema: ref("JobAccepted") } },
};

const seedTrainAnswer = json(
  {
    type: "object",
    required: ["train_job_id", "status"],
    properties: { train_job_id: { type: "string" }, status: { const: "SUBMITTED" } },
  },
  "submitted",
);

export function openapiDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "storecast HTTP API",
      version: "1.0.0",
      description:
        "Sales forecasts, model registry, training jobs and pipeline runs. Every error is " +
        '`{"error": "...", "details": {...}}`. Request bodies are JSON, at most 1 MB. ' +
        "The /api/trainers and /api/forecasters paths keep the reference system's contract.",
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "stores" },
      { name: "forecasts" },
      { name: "models" },
      { name: "jobs" },
      { name: "pipeline-runs" },
      { name: "reference-compatible", description: "the reference (seed) system's API, unchanged" },
    ],
    paths: {
      "/api/stores": {
        get: {
          tags: ["stores"],
          summary: "Stores with sales history, their products and history span, paged",
          parameters: [
            {
              name: "q",
              in: "query",
              description: "store numbers starting with these digits",
              schema: { type: "string", pattern: "^\\d{1,10}$" },
            },
            { name: "type", in: "query", description: "store type", schema: { enum: ["a", "b", "c", "d"] } },
            intQuery("limit", 1, 1000, 100, "page size"),
            intQuery("offset", 0, 1_000_000, 0, "stores to skip"),
          ],
          responses: { 200: json(ref("StoreList")), 400: E400 },
        },
      },
      "/api/stores/{store}": {
        get: {
          tags: ["stores"],
          summary: "A store: its products, history summary and production models",
          parameters: [storeParam],
          responses: { 200: json(ref("StoreDetail")), 400: E400, 404: E404 },
        },
      },
      "/api/forecasts/{store}/{product}": {
        get: {
          tags: ["forecasts"],
          summary: "The latest weekly 7-day forecast (404 when the series has none yet)",
          parameters: [storeParam, productParam],
          responses: { 200: json(ref("Forecast")), 400: E400, 404: E404 },
        },
        post: {
          tags: ["forecasts"],
          summary: "An ad-hoc forecast from the production model (not stored); begin and end inclusive, <= 365 days",
          parameters: [storeParam, productParam],
          requestBody: jsonBody(bodySchema(adhocForecastBody)),
          responses: { 200: json(ref("Forecast")), 400: E400, 404: E404, 413: E413, 415: E415 },
        },
      },
      "/api/models/{store}/{product}/retrain": {
        post: {
          tags: ["models"],
          summary: "Retrain one series: enqueues a train-one job (deduplicated while one is pending or running)",
          parameters: [storeParam, productParam],
          responses: { 202: accepted, 400: E400, 404: E404, 503: E503 },
        },
      },
      "/api/models/{store}/{product}/versions": {
        get: {
          tags: ["models"],
          summary: "Every version of the series' model, newest first, with CV metrics and stage",
          parameters: [storeParam, productParam],
          responses: { 200: json(ref("VersionList")), 400: E400, 404: E404 },
        },
      },
      "/api/models/{store}/{product}/versions/{version}/promote": {
        post: {
          tags: ["models"],
          summary: "Put a version in production (rollback when older); the previous one is archived",
          parameters: [
            storeParam,
            productParam,
            { name: "version", in: "path", required: true, schema: { type: "integer", minimum: 1 } },
          ],
          responses: {
            200: json({
              type: "object",
              properties: { store: { type: "integer" }, product: { type: "string" }, promoted: ref("Version") },
            }),
            400: E400,
            404: E404,
          },
        },
      },
      "/api/train-all": {
        post: {
          tags: ["models"],
          summary: "Retrain every series: enqueues a train-all job",
          responses: { 202: accepted, 503: E503 },
        },
      },
      "/api/jobs": {
        get: {
          tags: ["jobs"],
          summary: "Recent jobs, newest first",
          parameters: [
            { name: "kind", in: "query", schema: { enum: [...JOB_KINDS] } },
            intQuery("limit", 1, 500, 50, "at most this many"),
          ],
          responses: {
            200: json({ type: "object", properties: { jobs: { type: "array", items: ref("Job") } } }),
            400: E400,
            503: E503,
          },
        },
      },
      "/api/jobs/{id}": {
        get: {
          tags: ["jobs"],
          summary: "A job: status, progress, result or error",
          parameters: [jobIdParam],
          responses: { 200: json(ref("Job")), 404: E404, 503: E503 },
        },
        delete: {
          tags: ["jobs"],
          summary: "Cancel a job: a pending one is removed (200, STOPPED); a running one is told to stop (202)",
          parameters: [jobIdParam],
          responses: {
            200: json(ref("Job"), "stopped"),
            202: json(ref("Job"), "stopping"),
            404: E404,
            409: error("the job has already finished"),
            503: E503,
          },
        },
      },
      "/api/jobs/{id}/events": {
        get: {
          tags: ["jobs"],
          summary: "Server-sent events of one job",
          description:
            "The current state first, then one event per status or progress change; each `data:` line is " +
            "`{id, status, progress, error, result?}` (result once SUCCEEDED). The stream ends after a final " +
            "status (SUCCEEDED, FAILED, STOPPED). A `: heartbeat` comment every 15 s.",
          parameters: [jobIdParam],
          responses: {
            200: { description: "event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
            404: E404,
            503: E503,
          },
        },
      },
      "/api/pipeline-runs": {
        get: {
          tags: ["pipeline-runs"],
          summary: "Pipeline runs (train-all, train-weekly, retrain, ingest-daily, ...), newest first",
          parameters: [
            { name: "kind", in: "query", schema: { type: "string", maxLength: 40 } },
            intQuery("limit", 1, 500, 50, "at most this many"),
          ],
          responses: {
            200: json({ type: "object", properties: { runs: { type: "array", items: ref("PipelineRun") } } }),
            400: E400,
          },
        },
      },
      "/api/pipeline-runs/{id}": {
        get: {
          tags: ["pipeline-runs"],
          summary: "One run with steps, timings, counts, progress and error",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } }],
          responses: { 200: json(ref("PipelineRun")), 400: E400, 404: E404 },
        },
      },
      "/api/pipeline-runs/{id}/retry": {
        post: {
          tags: ["pipeline-runs"],
          summary: "Run a failed or stopped run again as a new job",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } }],
          responses: {
            202: accepted,
            400: E400,
            404: E404,
            409: error("the run is pending, running or succeeded, or its kind cannot be retried"),
            503: E503,
          },
        },
      },
      "/api/trainers/train": {
        post: {
          tags: ["reference-compatible"],
          summary: "Retrain every series (train-all job)",
          responses: { 200: seedTrainAnswer, 503: E503 },
        },
      },
      "/api/trainers/{store_id}/{product_name}/train": {
        post: {
          tags: ["reference-compatible"],
          summary: "Retrain one series (train-one job)",
          parameters: [
            { ...storeParam, name: "store_id" },
            { ...productParam, name: "product_name" },
          ],
          responses: { 200: seedTrainAnswer, 400: E400, 404: E404, 503: E503 },
        },
      },
      "/api/trainers/training_job_status/{id}": {
        get: {
          tags: ["reference-compatible"],
          summary: "A training job's status",
          parameters: [jobIdParam],
          responses: {
            200: json({
              type: "object",
              required: ["train_job_id", "status"],
              properties: { train_job_id: { type: "string" }, status: { enum: [...JOB_STATUSES] } },
            }),
            404: E404,
            503: E503,
          },
        },
      },
      "/api/forecasters/forecast": {
        post: {
          tags: ["reference-compatible"],
          summary: "Ad-hoc forecasts for a list of series",
          description:
            "Dates are `YYYY-MM-DDTHH:MM:SSZ` and name days (UTC). The range is [begin_date, end_date): " +
            "end_date is EXCLUSIVE, so the default (begin_date today, end_date begin_date + 7 days) gives " +
            "7 daily points, begin_date first. At most 365 days. Values are rounded to integers. The whole " +
            "list is validated first; an unknown store, product or model answers 404 for the whole request, " +
            "naming the item's index.",
          requestBody: jsonBody(bodySchema(seedForecastBody)),
          responses: {
            200: json({ type: "array", items: ref("SeedForecast") }),
            400: E400,
            404: E404,
            413: E413,
            415: E415,
          },
        },
      },
      "/api/forecasters/health": {
        get: {
          tags: ["reference-compatible"],
          summary: "Health of the forecasting API",
          responses: {
            200: json({ type: "object", properties: { status: { const: "ok" }, model_threads: { type: "integer" } } }),
          },
        },
      },
      "/api/openapi.json": {
        get: { summary: "This document", responses: { 200: json({ type: "object" }) } },
      },
    },
    components: {
      schemas: {
        Error: {
          type: "object",
          required: ["error", "details"],
          properties: {
            error: { type: "string", description: "what went wrong, in words" },
            details: {
              type: "object",
              description:
                "`field` (400: the input at fault, e.g. `begin`, `[3].store_id`), `issues` (400: every " +
                "problem), `entity` (404: store, product, model, version, forecast, job, pipeline-run) and the ids",
              additionalProperties: true,
            },
          },
        },
        JobAccepted: {
          type: "object",
          required: ["job_id", "status", "deduplicated"],
          properties: {
            job_id: { type: "string" },
            status: { enum: [...JOB_STATUSES] },
            deduplicated: { type: "boolean" },
            links: { type: "object", properties: { self: { type: "string" }, events: { type: "string" } } },
          },
        },
        Job: {
          type: "object",
          properties: {
            id: { type: "string" },
            kind: { enum: [...JOB_KINDS] },
            data: { type: "object" },
            status: { enum: [...JOB_STATUSES] },
            progress: {
              anyOf: [
                { type: "object", properties: { done: { type: "integer" }, total: { type: "integer" } } },
                { type: "null" },
              ],
            },
            result: {},
            error: { type: ["string", "null"] },
            attempts: { type: "integer" },
            createdAt: { type: "string", format: "date-time" },
            startedAt: { type: ["string", "null"], format: "date-time" },
            finishedAt: { type: ["string", "null"], format: "date-time" },
          },
        },
        ForecastPoint: {
          type: "object",
          properties: {
            date: { type: "string", format: "date" },
            value: { type: "number" },
            lower: { type: "number", description: "95% interval" },
            upper: { type: "number" },
          },
        },
        Forecast: {
          type: "object",
          properties: {
            store: { type: "integer" },
            product: { type: "string" },
            kind: { enum: ["weekly", "adhoc"] },
            model: { type: "object", properties: { name: { type: "string" }, version: { type: "integer" } } },
            createdOn: { type: "string", format: "date-time", description: "weekly only" },
            begin: { type: "string", format: "date", description: "ad-hoc only" },
            end: { type: "string", format: "date", description: "ad-hoc only" },
            points: { type: "array", items: ref("ForecastPoint") },
          },
        },
        Version: {
          type: "object",
          properties: {
            name: { type: "string" },
            version: { type: "integer" },
            stage: { enum: ["production", "archived"] },
            trainStart: { type: "string", format: "date" },
            trainEnd: { type: "string", format: "date" },
            trainRows: { type: "integer" },
            cv: { type: ["object", "null"], description: "per-fold and mean RMSE, MAPE, MAE, MdAE, RMSPE" },
            cvRmspe: { type: ["number", "null"] },
            durationMs: { type: "integer" },
            pipelineRunId: { type: ["integer", "null"] },
            createdAt: { type: "string", format: "date-time" },
            promotedAt: { type: ["string", "null"], format: "date-time" },
          },
        },
        VersionList: {
          type: "object",
          properties: {
            store: { type: "integer" },
            product: { type: "string" },
            model: { type: "string" },
            productionVersion: { type: ["integer", "null"] },
            versions: { type: "array", items: ref("Version") },
          },
        },
        StoreList: {
          type: "object",
          properties: {
            total: { type: "integer" },
            limit: { type: "integer" },
            offset: { type: "integer" },
            stores: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  store: { type: "integer" },
                  storeType: { type: ["string", "null"] },
                  assortment: { type: ["string", "null"] },
                  products: { type: "array", items: { type: "string" } },
                  rows: { type: "integer" },
                  firstDate: { type: "string", format: "date" },
                  lastDate: { type: "string", format: "date" },
                },
              },
            },
          },
        },
        StoreDetail: {
          type: "object",
          properties: {
            store: { type: "integer" },
            storeType: { type: ["string", "null"] },
            assortment: { type: ["string", "null"] },
            history: {
              type: "object",
              properties: {
                rows: { type: "integer" },
                firstDate: { type: "string", format: "date" },
                lastDate: { type: "string", format: "date" },
              },
            },
            products: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  product: { type: "string" },
                  rows: { type: "integer" },
                  openDays: { type: "integer" },
                  firstDate: { type: "string", format: "date" },
                  lastDate: { type: "string", format: "date" },
                  avgOpenSales: { type: ["integer", "null"] },
                  totalSales: { type: "number" },
                  model: {
                    anyOf: [
                      {
                        type: "object",
                        properties: { name: { type: "string" }, productionVersion: { type: ["integer", "null"] } },
                      },
                      { type: "null" },
                    ],
                  },
                },
              },
            },
          },
        },
        PipelineRun: {
          type: "object",
          properties: {
            id: { type: "integer" },
            kind: { type: "string" },
            status: { enum: [...JOB_STATUSES] },
            params: {},
            counts: { type: ["object", "null"] },
            steps: {
              type: "array",
              items: {
                type: "object",
                properties: { name: { type: "string" }, startedAt: { type: "string" }, ms: { type: "integer" } },
              },
            },
            progressDone: { type: "integer" },
            progressTotal: { type: "integer" },
            error: { type: ["string", "null"] },
            jobId: { type: ["string", "null"] },
            createdAt: { type: "string", format: "date-time" },
            startedAt: { type: ["string", "null"], format: "date-time" },
            finishedAt: { type: ["string", "null"], format: "date-time" },
            durationMs: { type: ["integer", "null"] },
          },
        },
        SeedForecast: {
          type: "object",
          required: ["request", "forecast", "api"],
          properties: {
            request: {
              type: "object",
              description: "the item as asked, with the dates resolved (defaults filled in, YYYY-MM-DDT00:00:00Z)",
              properties: {
                store_id: { type: ["integer", "string"] },
                product_name: { type: "string" },
                begin_date: { type: "string" },
                end_date: { type: "string", description: "exclusive" },
              },
            },
            forecast: {
              type: "array",
              items: {
                type: "object",
                required: ["timestamp", "value", "lower_ci", "upper_ci"],
                properties: {
                  timestamp: { type: "string", description: "YYYY-MM-DDTHH:MM:SS (midnight of the day)" },
                  value: { type: "integer" },
                  lower_ci: { type: "integer" },
                  upper_ci: { type: "integer" },
                },
              },
            },
            api: {
              type: "object",
              properties: {
                model_name: { type: "string" },
                model_version: { type: "string", description: "as the reference (MLflow) reports it: a string" },
              },
            },
          },
        },
      },
    },
  };
}
