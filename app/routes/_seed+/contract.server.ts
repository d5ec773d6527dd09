/**
 * The reference-compatible API's contract: the reference (seed) system's paths, request and answer
 * shapes, as its clients use them, for each route of app/routes/_seed+ and method. The routes
 * validate requests with these and type their answers by them; the OpenAPI document
 * (app/routes/_api+/openapi.server.ts) is generated from them, and tests/support/api-cases.ts checks a live
 * answer of every endpoint against them.
 */
import { z } from "zod";
import { JOB_STATUSES } from "../../jobs/port.js";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../../rossmann.js";
import { ERRORS, endpoint, json } from "../../server/api-contract.server.js";

/** The reference system's date format (`YYYY-MM-DDTHH:MM:SSZ`); a bare YYYY-MM-DD is accepted too. */
export const SEED_DATE_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

// -------------------------------------------------------------------------------------------------
// Requests

export const seedForecastItem = z.object({
  store_id: z
    .union([z.number().int().positive(), z.string().regex(/^\d{1,10}$/, "expected a store number")])
    .describe("the store number, as an integer or a string of digits"),
  product_name: z.string().min(1).max(MAX_PRODUCT_NAME),
  begin_date: z
    .string()
    .regex(SEED_DATE_RE, "expected YYYY-MM-DDTHH:MM:SSZ")
    .nullish()
    .describe("first day (inclusive), YYYY-MM-DDTHH:MM:SSZ; default today (UTC)"),
  end_date: z
    .string()
    .regex(SEED_DATE_RE, "expected YYYY-MM-DDTHH:MM:SSZ")
    .nullish()
    .describe("end of the range, EXCLUSIVE, YYYY-MM-DDTHH:MM:SSZ; default begin + 7 days"),
});
export type SeedForecastItem = z.infer<typeof seedForecastItem>;

export const seedForecastBody = z.array(seedForecastItem).min(1, "expected at least one request").max(20_000);

// -------------------------------------------------------------------------------------------------
// Answers

const seedTrainAnswer = z.strictObject({ train_job_id: z.string(), status: z.literal("SUBMITTED") });

const seedJobStatus = z.strictObject({ train_job_id: z.string(), status: z.enum(JOB_STATUSES) });

const seedForecast = z
  .strictObject({
    request: z
      .strictObject({
        store_id: z.union([z.int(), z.string()]),
        product_name: z.string(),
        begin_date: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        end_date: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
          .describe("exclusive"),
      })
      .describe("the item as asked, with the dates resolved (defaults filled in, YYYY-MM-DDT00:00:00Z)"),
    forecast: z.array(
      z.strictObject({
        timestamp: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
          .describe("YYYY-MM-DDTHH:MM:SS (midnight of the day)"),
        value: z.int(),
        lower_ci: z.int(),
        upper_ci: z.int(),
      }),
    ),
    api: z.strictObject({
      model_name: z.string(),
      model_version: z.string().describe("as the reference (MLflow) reports it: a string"),
    }),
  })
  .meta({ id: "SeedForecast" });

// -------------------------------------------------------------------------------------------------
// Endpoints

const tags = ["reference-compatible"];
const submitted = json(seedTrainAnswer, "submitted");

export const seedApi = {
  trainAll: endpoint({
    method: "post",
    path: "/api/trainers/train",
    summary: "Retrain every series (train-all job); any body is ignored",
    tags,
    responses: { 200: submitted, 413: ERRORS[413], 503: ERRORS[503] },
  }),
  trainOne: endpoint({
    method: "post",
    path: "/api/trainers/{store_id}/{product_name}/train",
    summary: "Retrain one series (train-one job); any body is ignored",
    tags,
    params: z.object({
      store_id: z.int().min(1).max(MAX_INT32).describe("store number (a positive integer)"),
      product_name: z.string().min(1).max(MAX_PRODUCT_NAME).describe("product name, e.g. product_A"),
    }),
    responses: { 200: submitted, 400: ERRORS[400], 404: ERRORS[404], 413: ERRORS[413], 503: ERRORS[503] },
  }),
  jobStatus: endpoint({
    method: "get",
    path: "/api/trainers/training_job_status/{id}",
    summary: "A training job's status",
    tags,
    params: z.object({ id: z.string().min(1).max(200).describe("job id") }),
    responses: { 200: json(seedJobStatus), 404: ERRORS[404], 503: ERRORS[503] },
  }),
  forecast: endpoint({
    method: "post",
    path: "/api/forecasters/forecast",
    summary: "Ad-hoc forecasts for a list of series",
    description:
      "Dates are `YYYY-MM-DDTHH:MM:SSZ` and name days (UTC). The range is [begin_date, end_date): " +
      "end_date is EXCLUSIVE, so the default (begin_date today, end_date begin_date + 7 days) gives " +
      "7 daily points, begin_date first. At most 365 days. Values are rounded to integers. The whole " +
      "list is validated first; an unknown store, product or model answers 404 for the whole request, " +
      "naming the item's index.",
    tags,
    body: seedForecastBody,
    responses: {
      200: json(z.array(seedForecast)),
      400: ERRORS[400],
      404: ERRORS[404],
      413: ERRORS[413],
      415: ERRORS[415],
    },
  }),
  health: endpoint({
    method: "get",
    path: "/api/forecasters/health",
    summary: "Health of the forecasting API",
    tags,
    responses: { 200: json(z.strictObject({ status: z.literal("ok"), model_threads: z.int() })) },
  }),
};
