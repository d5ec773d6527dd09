/**
 * The reference-compatible API's contract: what the routes of app/routes/_seed+ accept, as the
 * reference (seed) system's clients send it. The routes validate with these schemas and the OpenAPI
 * document (app/server/openapi.server.ts) is generated from them.
 */
import { z } from "zod";
import { MAX_PRODUCT_NAME } from "../../rossmann.js";
import { SEED_DATE_RE } from "./seed.server.js";

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
