/** Rossmann (Kaggle) file formats shared by the generator, the loader and the stream. */
import { DAY_MS, isoWeekday } from "./days.js";

/** train.csv columns, in Kaggle's order. `ProductName` is storecast's optional extra column. */
export const TRAIN_COLUMNS = [
  "Store",
  "DayOfWeek",
  "Date",
  "Sales",
  "Customers",
  "Open",
  "Promo",
  "StateHoliday",
  "SchoolHoliday",
] as const;

/** test.csv columns: the plan for coming days (covariates known in advance). */
export const CALENDAR_COLUMNS = [
  "Id",
  "Store",
  "DayOfWeek",
  "Date",
  "Open",
  "Promo",
  "StateHoliday",
  "SchoolHoliday",
] as const;

/** store.csv columns storecast reads (Kaggle's file has more; they are ignored). */
export const STORE_COLUMNS = ["Store", "StoreType", "Assortment"] as const;

export const PRODUCT_COLUMN = "ProductName";
export const DEFAULT_PRODUCT = "product_A";

export const STATE_HOLIDAYS = ["0", "a", "b", "c"] as const;
export type StateHoliday = (typeof STATE_HOLIDAYS)[number];

/** One day of one store and product, as stored in `rossman_sales`. Dates are YYYY-MM-DD. */
export interface SalesRow {
  store: number;
  productname: string;
  date: string;
  dayofweek: number;
  sales: number;
  customers: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

/** One planned day of one store, as stored in `store_calendar`. */
export interface CalendarRow {
  store: number;
  date: string;
  dayofweek: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

export interface StoreRow {
  store: number;
  store_type: string | null;
  assortment: string | null;
}

/** Kaggle's DayOfWeek of a YYYY-MM-DD date: Monday = 1 ... Sunday = 7 (ISO). */
export function isoDayOfWeek(date: string): number {
  return isoWeekday(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}
