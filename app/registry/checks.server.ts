/**
 * What the registry refuses to store: every field of a new version is checked (series, dates,
 * counts, JSON that Postgres can hold, CV metrics) before its transaction starts, so a bad input
 * never holds a lock. A refusal is an InvalidVersionError naming the field.
 */
import { DAY_MS, parseDay } from "../days.js";
import { InvalidVersionError } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../rossmann.js";
import type { CvMetricsInput } from "./versions.server.js";

export function checkSeries(store: number, productname: string): void {
  if (!Number.isSafeInteger(store) || store < 0 || store > MAX_INT32) {
    throw new InvalidVersionError("store", `expected a non-negative integer, got ${String(store)}`);
  }
  if (typeof productname !== "string" || productname.length === 0 || productname.length > MAX_PRODUCT_NAME) {
    throw new InvalidVersionError("productname", `expected 1..${MAX_PRODUCT_NAME} characters`);
  }
}

export function checkCount(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_INT32) {
    throw new InvalidVersionError(field, `expected a non-negative integer, got ${String(value)}`);
  }
  return value;
}

export function toDate(field: string, value: string): Date {
  const day = typeof value === "string" ? parseDay(value) : undefined;
  if (day === undefined) throw new InvalidVersionError(field, `expected a YYYY-MM-DD date, got ${String(value)}`);
  // @db.Date columns: a Date at UTC midnight is that calendar day whatever the process time zone.
  return new Date(day * DAY_MS);
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value === "bigint" ? `${value}n (BigInt)` : `${String(value)} (${typeof value})`;
}

/**
 * Checks that `value` survives a trip through jsonb unchanged, and returns it as Prisma input.
 * JSON.stringify would quietly turn NaN into null, a Float64Array into {"0": ...} and a Date into a
 * string, and the model would come back different from what was fitted; here those are errors.
 * Undefined object properties are left out, as JSON does.
 */
function checkJson(field: string, value: unknown, ancestors: Set<object> = new Set()): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new InvalidVersionError(field, `JSON has no ${value}`);
      return;
    case "object": {
      if (value === null) return;
      if (ancestors.has(value)) throw new InvalidVersionError(field, "circular reference");
      ancestors.add(value);
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          checkJson(`${field}[${i}]`, v, ancestors);
        });
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new InvalidVersionError(field, `expected plain JSON, got ${describeValue(value)}`);
        }
        for (const [k, v] of Object.entries(value)) {
          if (v !== undefined) checkJson(`${field}.${k}`, v, ancestors);
        }
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw new InvalidVersionError(field, `not JSON-serializable: ${describeValue(value)}`);
  }
}

export function jsonInput(field: string, value: unknown): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  if (value === undefined) throw new InvalidVersionError(field, "missing");
  checkJson(field, value);
  // A JSON null in a NOT NULL jsonb column is Prisma.JsonNull (a bare null means SQL NULL).
  return value === null ? Prisma.JsonNull : (value as Prisma.InputJsonValue);
}

export interface CheckedCv {
  json: Prisma.InputJsonValue | typeof Prisma.DbNull;
  rmse: number | null;
  mape: number | null;
  mae: number | null;
  mdae: number | null;
  rmspe: number | null;
}

export function checkCv(cv: CvMetricsInput | null): CheckedCv {
  if (cv === null) return { json: Prisma.DbNull, rmse: null, mape: null, mae: null, mdae: null, rmspe: null };
  if (typeof cv !== "object" || !Array.isArray(cv.folds) || typeof cv.mean !== "object" || cv.mean === null) {
    throw new InvalidVersionError("cv", "expected { folds: [...], mean: {...} } or null");
  }
  const metric = (k: keyof CvMetricsInput["mean"]): number => {
    const v = cv.mean[k];
    // A metric of Infinity (e.g. RMSPE over zero-sales days) would not survive JSON: refuse it here.
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidVersionError(`cv.mean.${k}`, `expected a finite number, got ${describeValue(v)}`);
    }
    return v;
  };
  const mean = { rmse: metric("rmse"), mape: metric("mape"), mae: metric("mae"), mdae: metric("mdae") };
  const rmspe = metric("rmspe");
  checkJson("cv", cv);
  return { json: cv as unknown as Prisma.InputJsonValue, ...mean, rmspe };
}
