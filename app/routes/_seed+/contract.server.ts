/**
 * The reference-compatible API's contract: the reference (seed) system's paths, request and answer
 * shapes, exactly as its FastAPI services (pydantic v1) had them, for each route of app/routes/_seed+
 * and method. The routes validate requests with these and type their answers by them; the OpenAPI
 * documents are generated from them, and tests/support/api-cases.ts checks a live answer of every
 * endpoint against them.
 */
import { z } from "zod";
import { JOB_STATUSES } from "../../jobs/port.js";
import { DEFAULT_FORECAST_MAX_BATCH_POINTS } from "../../platform/config.server.js";
import { SEED_FORECAST_MAX_BODY_BYTES } from "../../server/api.server.js";
import { endpoint, json } from "../../server/api-contract.server.js";
import { SEED_DATE_FORMAT } from "./seed.server.js";

/** Items one forecast request may hold (the seed's scale is 11,150). */
export const SEED_MAX_ITEMS = 50_000;

// -------------------------------------------------------------------------------------------------
// Requests

/** pydantic v1's `str`: a number (or bool) is taken as its string. */
const pyStr = z.union([z.string(), z.number(), z.boolean()]);
const seedDate = z.union([z.string(), z.number()]).nullish().describe(`${SEED_DATE_FORMAT} (UTC), or null`);

export const seedForecastItem = z
  .object({
    store_id: pyStr.describe("the store number; a number is taken as its string"),
    product_name: pyStr.describe("e.g. product_A"),
    begin_date: seedDate.describe(`first instant, ${SEED_DATE_FORMAT}; default today 00:00 UTC`),
    end_date: seedDate.describe(`last instant (included), ${SEED_DATE_FORMAT}; default begin_date + 7 days`),
  })
  .describe("other keys are ignored, as pydantic did");

export const seedForecastBody = z.array(seedForecastItem);

// -------------------------------------------------------------------------------------------------
// Answers

const seedIssue = z.strictObject({
  loc: z.array(z.union([z.string(), z.int()])).describe('where: `["body", 3, "begin_date"]`, `["path", "store_id"]`'),
  msg: z.string(),
  type: z.string().describe("pydantic's error type, e.g. value_error.missing, type_error.str, value_error"),
  ctx: z.record(z.string(), z.unknown()).optional(),
});

/** FastAPI's 422. */
const seedInvalid = z.strictObject({ detail: z.array(seedIssue) }).meta({ id: "SeedValidationError" });

/** FastAPI's other errors: `{"detail": "..."}`, with storecast's details as extra keys. */
const seedError = z
  .object({ detail: z.string().describe("what went wrong, in words") })
  .catchall(z.unknown())
  .meta({ id: "SeedError" });

const invalid = json(seedInvalid, "the request does not validate (FastAPI's RequestValidationError)");
const failed = (description: string) => json(seedError, description);

const seedTrainAnswer = z.strictObject({ train_job_id: z.string(), status: z.literal("SUBMITTED") });

const seedJobStatus = z.strictObject({ train_job_id: z.string(), status: z.enum(JOB_STATUSES) });

const seedJobUnknown = z.strictObject({
  train_job_id: z.string(),
  status: z.literal("ERROR"),
  error: z.literal("Task not found"),
});

const seedForecast = z
  .strictObject({
    request: z
      .strictObject({
        store_id: z.string(),
        product_name: z.string(),
        begin_date: z.string().nullable(),
        end_date: z.string().nullable(),
      })
      .describe("the item as validated: store_id a string, an omitted date null"),
    forecast: z.array(
      z.strictObject({
        timestamp: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
          .describe("YYYY-MM-DDTHH:MM:SS: begin_date's time of day"),
        value: z.int(),
        lower_ci: z.int(),
        upper_ci: z.int(),
      }),
    ),
    api: z.strictObject({
      model_name: z.string().describe("prophet-retail-forecaster-store-{store_id}-{product_name}"),
      model_version: z.string().describe("as the reference (MLflow) reports it: a string"),
    }),
  })
  .meta({ id: "SeedForecast" });

const seedHealth = z
  .object({
    serviceStatus: z.literal("OK"),
    modelTrackingHealth: z.string().describe("whether the model registry answers, in words"),
  })
  .catchall(z.unknown());

// -------------------------------------------------------------------------------------------------
// Endpoints

const tags = ["reference-compatible"];
const submitted = json(seedTrainAnswer, "submitted");
const unavailable = failed("the job queue is not available");

export const seedApi = {
  trainAll: endpoint({
    method: "post",
    path: "/api/trainers/train",
    summary: "Retrain every series (train-all job); any body is ignored",
    tags,
    responses: { 200: submitted, 413: failed("a body over 1 MB"), 503: unavailable },
  }),
  trainOne: endpoint({
    method: "post",
    path: "/api/trainers/{store_id}/{product_name}/train",
    summary: "Retrain one series (train-one job); any body is ignored",
    description:
      "Accepted for any integer store and any product, as the reference did: a series that does not " +
      "exist ends its job FAILED, with the reason.",
    tags,
    params: z.object({
      store_id: z.int().describe("store number (an integer)"),
      product_name: z.string().min(1).describe("product name, e.g. product_A"),
    }),
    responses: { 200: submitted, 413: failed("a body over 1 MB"), 422: invalid, 503: unavailable },
  }),
  jobStatus: endpoint({
    method: "get",
    path: "/api/trainers/training_job_status/{id}",
    summary: "A training job's status",
    description: "A job's status is kept at least 7 days after it finished, across restarts.",
    tags,
    params: z.object({ id: z.string().min(1).describe("train_job_id") }),
    responses: {
      200: json(seedJobStatus),
      400: json(seedJobUnknown, "no job has this id"),
      503: unavailable,
    },
  }),
  forecast: endpoint({
    method: "post",
    path: "/api/forecasters/forecast",
    summary: "Ad-hoc forecasts for a list of series",
    description:
      `Dates are \`${SEED_DATE_FORMAT}\` (UTC). Every day from begin_date through end_date, both ` +
      "included (pandas `date_range`): the default (today 00:00 UTC through 7 days later) is 8 points, " +
      "begin_date == end_date one, end_date before begin_date none. Values are truncated to integers. " +
      `At most ${SEED_MAX_ITEMS} items, 365 days an item and FORECAST_MAX_BATCH_POINTS (default ` +
      `${DEFAULT_FORECAST_MAX_BATCH_POINTS}) forecast points (items x days) a request; every date within the ` +
      "forecast window, from the first sales day to FORECAST_HORIZON_DAYS (default 730) after the newest " +
      "(422 on the item's begin_date or end_date, `ctx` giving the window). The whole list is validated " +
      "first (422); then a series with no production model answers 404 for the whole request, naming it. " +
      "The answer is streamed.",
    tags,
    body: seedForecastBody,
    responses: {
      200: json(z.array(seedForecast), "one answer per item, in request order"),
      404: failed("an item's series has no production model: `model_name` and `index` name it"),
      413: failed(
        `a body over ${SEED_FORECAST_MAX_BODY_BYTES} bytes, more than ${SEED_MAX_ITEMS} items, or more forecast ` +
          "points (items x days) than FORECAST_MAX_BATCH_POINTS: `limit` names it",
      ),
      422: invalid,
    },
  }),
  health: endpoint({
    method: "get",
    path: "/api/forecasters/health",
    summary: "Health of the forecasting service",
    tags,
    responses: { 200: json(seedHealth) },
  }),
};

export type SeedForecastItem = z.infer<typeof seedForecastItem>;
