/**
 * The contract of realized accuracy over HTTP (docs/decisions/0027): the fleet per day, one series
 * per week and day. Part of the native API's declarations (contract.server.ts spreads these into
 * `nativeApi`, so the OpenAPI document and the contract tests see them).
 */
import { z } from "zod";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../../rossmann.js";
import { queryInt } from "../../server/api.server.js";
import { day, ERRORS, endpoint, json } from "../../server/api-contract.server.js";

// -------------------------------------------------------------------------------------------------
// Requests

export const fleetAccuracyQuery = z.object({
  days: queryInt(1, 366, 28).describe("days shown, ending today (UTC)"),
});

export const seriesAccuracyQuery = z.object({
  weeks: queryInt(1, 104, 8).describe("ISO weeks (Monday first) shown, ending with the current one"),
});

// -------------------------------------------------------------------------------------------------
// Answers

const fraction = z.number().nullable();

const figures = {
  scored: z.int().describe("series-days scored (an actual and the forecast in production that day)"),
  errorDays: z.int().describe("of them, days open on both sides with sales > 0: the error figures' days"),
  rmspe: fraction.describe("root mean squared % error, a fraction; null when no error day"),
  mape: fraction.describe("mean absolute % error, a fraction"),
  bias: fraction.describe("mean signed % error, (forecast - actual) / actual: positive = forecast too high"),
  coverage: fraction.describe("share of open days whose actual fell inside the 95% interval"),
  mismatches: z.int().describe("days the actual and the forecast disagree on open or closed (not errors)"),
  cvRmspe: fraction.describe("median CV RMSPE of the model versions scored"),
  vsCv: fraction.describe("rmspe / cvRmspe: 1 is as cross-validation promised"),
};

const fleetAccuracy = z
  .strictObject({
    from: day,
    to: day,
    days: z.array(z.strictObject({ date: day, ...figures })).describe("days with scores, oldest first"),
    last7: z.strictObject({ from: day, to: day, ...figures }).describe("the last 7 days together"),
  })
  .meta({ id: "FleetAccuracy" });

const seriesAccuracy = z
  .strictObject({
    store: z.int(),
    product: z.string(),
    from: day.describe("the first week's Monday"),
    to: day,
    weeks: z
      .array(z.strictObject({ week: day.describe("its Monday"), ...figures, versions: z.array(z.int()) }))
      .describe("weeks with scores, oldest first"),
    days: z.array(
      z.strictObject({
        date: day,
        sales: z.int(),
        open: z.int(),
        forecast: z.number(),
        lower: z.number(),
        upper: z.number(),
        modelVersion: z.int(),
        pctError: fraction.describe("(forecast - actual) / actual; null unless open on both sides with sales"),
        inBand: z.boolean().nullable(),
        mismatch: z.boolean(),
      }),
    ),
  })
  .meta({ id: "SeriesAccuracy" });

// -------------------------------------------------------------------------------------------------
// Endpoints

const DESCRIPTION =
  "Each forecast is scored against the actual of its day as actuals arrive: the forecast in production " +
  "that day is the newest made before the day began (UTC), else the newest made on it. Error figures " +
  "count days open on both sides with sales > 0; open/closed mismatches are counted apart.";

export const accuracyApi = {
  fleetAccuracy: endpoint({
    method: "get",
    path: "/api/accuracy",
    summary: "Realized accuracy of the fleet: per day, and the last 7 days together",
    description: DESCRIPTION,
    tags: ["monitoring"],
    query: fleetAccuracyQuery,
    responses: { 200: json(fleetAccuracy), 400: ERRORS[400] },
  }),
  seriesAccuracy: endpoint({
    method: "get",
    path: "/api/accuracy/{store}/{product}",
    summary: "Realized accuracy of one series: per ISO week and per day",
    description: DESCRIPTION,
    tags: ["monitoring"],
    params: z.object({
      store: z.int().min(1).max(MAX_INT32).describe("store number (a positive integer)"),
      product: z.string().min(1).max(MAX_PRODUCT_NAME).describe("product name, e.g. product_A"),
    }),
    query: seriesAccuracyQuery,
    responses: { 200: json(seriesAccuracy), 400: ERRORS[400], 404: ERRORS[404] },
  }),
};
