/**
 * The generator's calendar: Easter, public and school holidays per German state, the shared promo
 * weeks and the stores' refurbishment closures, combined into what is known in advance about one
 * store on one day (a Plan). Dates are integer days since 1970-01-01 (UTC): cheap arithmetic in the
 * hot loop.
 */
import { DAY_MS, dayOf, formatDay, isoWeekday } from "../../days.js";
import type { StateHoliday } from "../../rossmann.js";
import { STATES, type StoreProfile } from "./profiles.js";
import { Purpose, streamFor } from "./random.js";

/** Easter Sunday (Gregorian), Meeus/Jones/Butcher algorithm. */
export function easterSunday(year: number): string {
  return formatDay(easterDay(year));
}

function easterDay(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const dayOfMonth = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, dayOfMonth);
}

// ---------------------------------------------------------------------------------------------------
// Holidays and school holidays.

export const HOLIDAY_CODES: readonly StateHoliday[] = ["0", "a", "b", "c"];

/** Per-state state-holiday codes and school-holiday flags over a day range. */
export class CalendarTables {
  readonly holiday: Uint8Array[];
  readonly school: Uint8Array[];

  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    const n = to - from + 1;
    this.holiday = STATES.map(() => new Uint8Array(n));
    this.school = STATES.map(() => new Uint8Array(n));
    const y0 = new Date(from * DAY_MS).getUTCFullYear() - 1;
    const y1 = new Date(to * DAY_MS).getUTCFullYear();
    for (let y = y0; y <= y1; y++) {
      for (let s = 0; s < STATES.length; s++) {
        this.markHolidays(y, s);
        this.markSchool(y, s);
      }
    }
  }

  holidayCode(state: number, day: number): number {
    return this.holiday[state]![day - this.from] ?? 0;
  }

  isSchool(state: number, day: number): 0 | 1 {
    return this.school[state]![day - this.from] === 1 ? 1 : 0;
  }

  private set(table: Uint8Array, day: number, value: number): void {
    const i = day - this.from;
    if (i >= 0 && i < table.length) table[i] = value;
  }

  private markHolidays(y: number, s: number): void {
    const t = this.holiday[s]!;
    const code = STATES[s]!.code;
    const easter = easterDay(y);
    const a = 1;
    const b = 2;
    const c = 3;
    const national: Array<[number, number]> = [
      [dayOf(y, 1, 1), a],
      [easter - 2, b], // Good Friday
      [easter, b],
      [easter + 1, b], // Easter Monday
      [dayOf(y, 5, 1), a],
      [easter + 39, a], // Ascension
      [easter + 50, a], // Whit Monday
      [dayOf(y, 10, 3), a],
      [dayOf(y, 12, 25), c],
      [dayOf(y, 12, 26), c],
    ];
    for (const [d, v] of national) this.set(t, d, v);
    const inStates = (...codes: string[]) => codes.includes(code);
    if (inStates("BW", "BY", "ST")) this.set(t, dayOf(y, 1, 6), a); // Epiphany
    if (inStates("BE") && y >= 2019) this.set(t, dayOf(y, 3, 8), a); // Women's Day
    if (inStates("BW", "BY", "HE", "NW", "RP")) this.set(t, easter + 60, a); // Corpus Christi
    // Reformation Day: eastern states; the north joined in 2018; everyone in the 2017 jubilee year.
    if (inStates("SN", "ST", "TH") || y === 2017 || (y >= 2018 && inStates("HB,NI", "HH", "SH"))) {
      this.set(t, dayOf(y, 10, 31), a);
    }
    if (inStates("BW", "BY", "NW", "RP")) this.set(t, dayOf(y, 11, 1), a); // All Saints
    if (inStates("SN")) {
      // Repentance Day: the Wednesday between Nov 16 and 22.
      const nov22 = dayOf(y, 11, 22);
      this.set(t, nov22 - ((isoWeekday(nov22) - 3 + 7) % 7), a);
    }
  }

  private markSchool(y: number, s: number): void {
    const t = this.school[s]!;
    const code = STATES[s]!.code;
    const block = (start: number, days: number) => {
      for (let d = start; d < start + days; d++) this.set(t, d, 1);
    };
    // Monday on or after a day.
    const monday = (d: number) => d + ((8 - isoWeekday(d)) % 7);
    const easter = easterDay(y);
    // Christmas break, into the next year.
    block(dayOf(y, 12, 21 + (s % 3)), 15);
    // Winter week in February, for the states that have one.
    if (["BY", "SN", "TH", "ST", "BE", "HB,NI", "HH", "SH"].includes(code)) {
      block(monday(dayOf(y, 2, 1)) + 7 * ((s + y) % 4), 7);
    }
    // Easter: two weeks, some states start a week before Holy Week.
    block(easter - 8 - 7 * ((s + y) % 2), 16);
    if (code === "BY" || code === "BW") block(easter + 51, 12); // Pentecost break
    // Summer: six weeks plus the weekends around them, staggered between states and rotating by year
    // (BY and BW always go last, as in Germany).
    const slot = code === "BY" ? 6 : code === "BW" ? 5 : (s * 3 + y * 2) % 6;
    block(monday(dayOf(y, 6, 20)) + 7 * slot - 2, 44);
    // Autumn: one or two weeks in October.
    block(monday(dayOf(y, 10, 1)) + 7 * ((s + y) % 4) - 2, s % 2 === 0 ? 9 : 16);
  }
}

// ---------------------------------------------------------------------------------------------------
// Promo weeks and refurbishment closures.

/** Promo runs Monday-Friday in alternating weeks, shared by all stores (anchored on a Kaggle promo week). */
const PROMO_ANCHOR_MONDAY = dayOf(2015, 7, 27);

export function isPromo(day: number): 0 | 1 {
  const dow = isoWeekday(day);
  if (dow > 5) return 0;
  const week = Math.floor((day - PROMO_ANCHOR_MONDAY) / 7);
  return ((week % 2) + 2) % 2 === 0 ? 1 : 0;
}

const REFURB_EPOCH_DAYS = 365;
const REFURB_PROBABILITY = 0.03;
const REFURB_MAX_DAYS = 42;

/**
 * Refurbishment closures overlapping [from, to]. Each store gets at most one per absolute 365-day
 * epoch, decided by its own stream, so history and the planned calendar agree whatever the range.
 */
function refurbishments(seed: number, store: number, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const e0 = Math.floor((from - REFURB_MAX_DAYS) / REFURB_EPOCH_DAYS);
  const e1 = Math.floor(to / REFURB_EPOCH_DAYS);
  for (let e = e0; e <= e1; e++) {
    const r = streamFor(seed, Purpose.Refurbishment, store, e);
    const hit = r.uniform() < REFURB_PROBABILITY;
    const start = e * REFURB_EPOCH_DAYS + Math.floor(r.uniform() * REFURB_EPOCH_DAYS);
    const length = 14 + Math.floor(r.uniform() * (REFURB_MAX_DAYS - 14 + 1));
    const end = start + length - 1;
    if (hit && end >= from && start <= to) out.push([start, end]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Plans.

/** What is known in advance about one store on one day. */
export interface Plan {
  open: 0 | 1;
  promo: 0 | 1;
  holidayCode: number;
  school: 0 | 1;
}

export class Planner {
  readonly tables: CalendarTables;
  private readonly closures: Array<Array<[number, number]>>;

  constructor(
    seed: number,
    readonly profiles: StoreProfile[],
    from: number,
    to: number,
  ) {
    // One spare day on each side for the "day before/after a holiday" effects.
    this.tables = new CalendarTables(from - 1, to + 1);
    this.closures = profiles.map((p) => refurbishments(seed, p.store, from, to));
  }

  plan(i: number, day: number, dow: number, promo: 0 | 1): Plan {
    const p = this.profiles[i]!;
    const holidayCode = this.tables.holidayCode(p.stateIndex, day);
    const school = this.tables.isSchool(p.stateIndex, day);
    let open: 0 | 1 = 1;
    if (holidayCode !== 0 || (dow === 7 && !p.sundayOpen)) open = 0;
    else {
      for (const [a, b] of this.closures[i]!) if (day >= a && day <= b) open = 0;
    }
    return { open, promo, holidayCode, school };
  }
}
