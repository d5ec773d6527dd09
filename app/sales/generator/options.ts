/**
 * The generator's options: sizes, end date and seed, their bounds, and the fixed day counts that
 * split the generated days between the history file, the stream file and the planned calendar.
 */
import { dayOf, parseDay } from "../../days.js";
import { type StoreEvent, storeEventsProblem } from "./store-events.js";

export interface GenerateOptions {
  stores: number;
  products: number;
  /** Total generated days, including the STREAM_DAYS newest ones. */
  days: number;
  /** Last generated day, YYYY-MM-DD. */
  endDate: string;
  seed: number;
  /** Changes injected into some stores' sales from a day on (store-events.ts); none by default. */
  events?: readonly StoreEvent[];
}

/** The newest days, held out of the history file: the stream's source. */
export const STREAM_DAYS = 10;
/** Planned days after the history file (Kaggle test.csv covers 6 weeks). */
export const CALENDAR_DAYS = 42;

/** Same bounds as the GENERATE_* environment variables, except days (the generator itself needs > STREAM_DAYS). */
export const OPTION_LIMITS = {
  stores: { min: 1, max: 100_000 },
  products: { min: 1, max: 100 },
  days: { min: STREAM_DAYS + 1, max: 5000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

export class GenerateOptionsError extends RangeError {
  override name = "GenerateOptionsError";
}

/** Throws GenerateOptionsError naming the first bad option. */
export function validateGenerateOptions(opts: GenerateOptions): void {
  for (const key of ["stores", "products", "days", "seed"] as const) {
    const { min, max } = OPTION_LIMITS[key];
    const v = opts[key];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new GenerateOptionsError(`${key}: expected an integer from ${min} to ${max} (got ${v})`);
    }
  }
  const end = parseDay(opts.endDate);
  if (end === undefined || end < dayOf(1900, 1, 1) || end > dayOf(2999, 12, 31)) {
    throw new GenerateOptionsError(
      `endDate: expected a date YYYY-MM-DD in years 1900-2999 (got ${JSON.stringify(opts.endDate)})`,
    );
  }
  const problem = opts.events ? storeEventsProblem(opts.events, opts.stores) : null;
  if (problem) throw new GenerateOptionsError(problem);
}
