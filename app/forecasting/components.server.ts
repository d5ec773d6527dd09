/**
 * The components of a series' weekly forecast, for the store page: the version that wrote the
 * forecast shown, its compiled predictor (cached per version, model-cache.server.ts), the plan of
 * the forecast's days from the store calendar, taken apart (app/model/components.ts) and put in
 * sentences. Computed on demand: a handful of sums per day, one query (ADR 32).
 */
import type { Decomposition } from "../model/components.js";
import { decompose } from "../model/components.js";
import type { RegressorName } from "../model/config.js";
import { planDays } from "../model/plan.js";
import type { Database } from "../platform/db.server.js";
import type { SeriesKey } from "../series.js";
import { type ComponentSentence, componentSentences } from "./component-sentences.js";
import { storedPredictor } from "./model-cache.server.js";
import type { CalendarDbRow } from "./series-data.server.js";
import { toPlanDay } from "./series-data.server.js";

export const TERM_LABELS: Record<"trend" | "weekly" | "yearly" | RegressorName, string> = {
  trend: "Trend",
  weekly: "Weekly pattern",
  yearly: "Time of year",
  promo: "Promo",
  schoolholiday: "School holiday",
  stateholiday: "State holiday",
};

export interface ForecastComponents {
  modelName: string;
  modelVersion: number;
  /** The version's stage now: the forecast shown may be from a version since replaced. */
  stage: string;
  /** The terms the model uses, in the chart's order, with their labels. */
  terms: { key: string; label: string }[];
  days: {
    date: string;
    open: boolean;
    parts: Record<string, number>;
    /** Which regressors are on that day. */
    on: string[];
    yhat: number;
    forecast: number;
  }[];
  sentences: ComponentSentence[];
}

interface ComponentInputs {
  id: number;
  name: string;
  stage: string;
  calendar: Omit<CalendarDbRow, "store">[] | null;
}

/**
 * The components of the weekly forecast `weekly` (its version and days) of a series; null when
 * that version is no longer in the registry (the retention deleted it).
 */
export async function forecastComponents(
  db: Database,
  key: SeriesKey,
  weekly: { modelVersion: number; dates: readonly string[] },
): Promise<ForecastComponents | null> {
  const first = weekly.dates[0];
  const last = weekly.dates.at(-1);
  if (first === undefined || last === undefined) return null;
  const [inputs] = await db.sql.query<ComponentInputs>(
    `SELECT v.id, m.name, v.stage,
            (SELECT json_agg(json_build_object('date', c.date::text, 'open', c.open, 'promo', c.promo,
                                               'stateholiday', c.stateholiday, 'schoolholiday', c.schoolholiday))
               FROM store_calendar c
              WHERE c.store = m.store AND c.date >= $4::date AND c.date <= $5::date) AS calendar
       FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.version = $3
      WHERE m.store = $1 AND m.productname = $2`,
    [key.store, key.productname, weekly.modelVersion, first, last],
    { prepare: "forecast-components-inputs" },
  );
  if (!inputs) return null;
  const { predictor } = await storedPredictor(db, inputs.id);
  const calendar = new Map((inputs.calendar ?? []).map((r) => [r.date, toPlanDay(r)]));
  // The plan the forecast was made from (training and the batch forecast plan the same way).
  const d = decompose(predictor, planDays([...weekly.dates], calendar, predictor.weekdayOpen));
  return {
    modelName: inputs.name,
    modelVersion: weekly.modelVersion,
    stage: inputs.stage,
    ...panelDays(d),
    sentences: componentSentences(d),
  };
}

/** A decomposition as plain rows: one part per term the model uses. */
export function panelDays(d: Decomposition): Pick<ForecastComponents, "terms" | "days"> {
  const keys: (keyof typeof TERM_LABELS)[] = ["trend"];
  if (d.weekly) keys.push("weekly");
  if (d.yearly) keys.push("yearly");
  keys.push(...d.regressors);
  return {
    terms: keys.map((k) => ({ key: k, label: TERM_LABELS[k] })),
    days: d.days.map((day) => {
      const parts: Record<string, number> = { trend: day.trend };
      if (d.weekly) parts.weekly = day.weekly;
      if (day.yearly !== null) parts.yearly = day.yearly;
      for (const r of d.regressors) parts[r] = day.regressors[r] ?? 0;
      return {
        date: day.date,
        open: day.open,
        parts,
        on: d.regressors.filter((r) => day.on[r]),
        yhat: day.yhat,
        forecast: day.forecast,
      };
    }),
  };
}
