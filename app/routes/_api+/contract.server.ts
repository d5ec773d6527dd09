/**
 * The native API's contract: what each route of app/routes/_api+ accepts. The routes validate with
 * these schemas and the OpenAPI document (app/server/openapi.server.ts) is generated from them.
 */
import { z } from "zod";
import { JOB_KINDS } from "../../jobs/port.js";
import { queryInt } from "../../server/api.server.js";

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a YYYY-MM-DD date");

export const adhocForecastBody = z.object({
  begin: isoDay.describe("first day, YYYY-MM-DD, inclusive"),
  end: isoDay.describe("last day, YYYY-MM-DD, inclusive; at most 365 days after begin"),
});

export const storesQuery = z.object({
  q: z
    .string()
    .regex(/^\d{1,10}$/, "expected the digits a store number starts with")
    .optional(),
  type: z
    .string()
    .regex(/^[a-dA-D]$/, "expected a store type a, b, c or d")
    .optional(),
  limit: queryInt(1, 1000, 100),
  offset: queryInt(0, 1_000_000, 0),
});

export const jobsQuery = z.object({
  kind: z.enum(JOB_KINDS).optional(),
  limit: queryInt(1, 500, 50),
});

export const runsQuery = z.object({
  kind: z.string().min(1).max(40).optional(),
  limit: queryInt(1, 500, 50),
});
