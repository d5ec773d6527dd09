/**
 * What happens to real stores, injected into generated sales from a day on: a level shift (a
 * competitor opens, a refurbishment), a changed weekday pattern, a promo that stops lifting sales.
 * Monitoring's tests stream such changes after training and check they are noticed. Pure: an event
 * only scales the expected sales of its store's open days, never the random draws, so every other
 * store and every earlier day stay exactly as generated without it.
 */
import { z } from "zod";
import { formatDay, isoWeekday, parseDay } from "../../days.js";
import { Purpose, streamFor } from "./random.js";

export type StoreEvent =
  /** Sales times `factor` (0.7: a competitor took 30%). */
  | { kind: "level"; store: number; from: string; factor: number }
  /** Each ISO weekday's sales times its factor (index 1 = Monday ... 7 = Sunday; index 0 unused). */
  | { kind: "weekday"; store: number; from: string; factors: readonly number[] }
  /** Promo days sell like other days. */
  | { kind: "promo-stops"; store: number; from: string };

const positive = (v: number) => Number.isFinite(v) && v > 0 && v <= 10;

/** What is wrong with the first bad event, naming it (index) and its field; null when all are fine. */
export function storeEventsProblem(events: readonly StoreEvent[], stores: number): string | null {
  for (const [i, e] of events.entries()) {
    const bad = (field: string, why: string) => `events[${i}].${field}: ${why}`;
    if (!Number.isInteger(e.store) || e.store < 1 || e.store > stores) {
      return bad("store", `expected a generated store from 1 to ${stores} (got ${e.store})`);
    }
    if (parseDay(e.from) === undefined)
      return bad("from", `expected a date YYYY-MM-DD (got ${JSON.stringify(e.from)})`);
    if (e.kind === "level" && !positive(e.factor))
      return bad("factor", `expected a number in (0, 10] (got ${e.factor})`);
    if (e.kind === "weekday" && (e.factors.length !== 8 || !e.factors.slice(1).every(positive))) {
      return bad("factors", "expected 8 numbers (index 1 = Monday ... 7 = Sunday), each in (0, 10]");
    }
  }
  return null;
}

/** How the events of one store change a day's expected sales. */
export interface StoreEffects {
  /** The factor on an open day's expected sales; `promoLift` is the store's lift on a promo day. */
  factor(day: number, weekday: number, promo: boolean, promoLift: number): number;
}

const NONE: StoreEffects = { factor: () => 1 };

/** The effects of `events`, by store number; stores without events get none. */
export function storeEffects(events: readonly StoreEvent[]): (store: number) => StoreEffects {
  const byStore = new Map<number, { from: number; event: StoreEvent }[]>();
  for (const event of events) {
    const list = byStore.get(event.store) ?? [];
    list.push({ from: parseDay(event.from)!, event });
    byStore.set(event.store, list);
  }
  return (store) => {
    const list = byStore.get(store);
    if (!list) return NONE;
    return {
      factor(day, weekday, promo, promoLift) {
        let f = 1;
        for (const { from, event } of list) {
          if (day < from) continue;
          if (event.kind === "level") f *= event.factor;
          else if (event.kind === "weekday") f *= event.factors[weekday]!;
          else if (promo) f /= promoLift;
        }
        return f;
      },
    };
  };
}

/**
 * `share` of the stores (at least one), picked by seed: the same seed picks the same stores,
 * whatever else is generated. Sorted.
 */
export function pickStores(seed: number, stores: number, share: number): number[] {
  const count = Math.max(1, Math.min(stores, Math.round(stores * share)));
  const rand = streamFor(seed, Purpose.Events, 0, 0);
  const all = Array.from({ length: stores }, (_, i) => i + 1);
  // Fisher-Yates over the first `count` places.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand.uniform() * (stores - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count).sort((a, b) => a - b);
}

/** Weekday factors moving most of Saturday's sales to Monday (index 1 = Monday ... 7 = Sunday). */
export const SATURDAY_TO_MONDAY: readonly number[] = [1, 1.45, 1, 1, 1, 1, 0.4, 1];

/** What to inject: one kind of change, from a day on, into a chosen set of stores or a seeded share of them. */
export type Injection = { from: string } & ({ stores: readonly number[] } | { share: number; seed: number }) &
  ({ kind: "level"; factor: number } | { kind: "weekday"; factors: readonly number[] } | { kind: "promo-stops" });

/**
 * The events of `injections` over `stores` generated stores: deterministic (a share is picked by its
 * seed, pickStores). A store named by two injections gets both.
 */
export function injectionEvents(injections: readonly Injection[], stores: number): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (const inj of injections) {
    const chosen = "stores" in inj ? [...inj.stores] : pickStores(inj.seed, stores, inj.share);
    for (const store of chosen) {
      if (inj.kind === "level") events.push({ kind: "level", store, from: inj.from, factor: inj.factor });
      else if (inj.kind === "weekday") events.push({ kind: "weekday", store, from: inj.from, factors: inj.factors });
      else events.push({ kind: "promo-stops", store, from: inj.from });
    }
  }
  return events;
}

/** The stores each kind of event changes, and all of them: the truth detections are compared with. Sorted. */
export function affectedStores(events: readonly StoreEvent[]): Record<StoreEvent["kind"] | "all", number[]> {
  const sets = { level: new Set<number>(), weekday: new Set<number>(), "promo-stops": new Set<number>() };
  for (const e of events) sets[e.kind].add(e.store);
  const sorted = (s: Iterable<number>) => [...s].sort((a, b) => a - b);
  return {
    level: sorted(sets.level),
    weekday: sorted(sets.weekday),
    "promo-stops": sorted(sets["promo-stops"]),
    all: sorted(new Set([...sets.level, ...sets.weekday, ...sets["promo-stops"]])),
  };
}

// -------------------------------------------------------------------------------------------------
// Injections from the configuration (GENERATE_EVENTS) and in the live stream.

/** A GENERATE_EVENTS value that is not a list of injections. */
export class InjectionsError extends RangeError {
  override name = "InjectionsError";
}

const factor = z.number().gt(0).max(10);
const common = {
  from: z.string().regex(/^(\d{4}-\d{2}-\d{2}|today([+-]\d{1,4})?)$/, "expected YYYY-MM-DD, today, today+N or today-N"),
  stores: z.array(z.int().min(1)).min(1).optional(),
  share: z.number().gt(0).max(1).optional(),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
};
const injectionSchema = z.array(
  z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("level"), factor, ...common }),
      z.strictObject({
        kind: z.literal("weekday"),
        factors: z.union([z.literal("saturday-to-monday"), z.array(factor).length(8)]),
        ...common,
      }),
      z.strictObject({ kind: z.literal("promo-stops"), ...common }),
    ])
    .refine((i) => (i.stores !== undefined) !== (i.share !== undefined && i.seed !== undefined), {
      message: "expected either stores (a list) or share and seed",
    }),
);

/**
 * Injections written as JSON (the GENERATE_EVENTS setting), e.g.
 * `[{"kind":"weekday","factors":"saturday-to-monday","share":0.05,"seed":1,"from":"today-14"}]`;
 * `from` is a date or relative to `today` (days since 1970-01-01). Throws InjectionsError naming the field.
 */
export function parseInjections(text: string, today: number, name = "GENERATE_EVENTS"): Injection[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InjectionsError(`${name}: expected a JSON array of injections`);
  }
  const parsed = injectionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InjectionsError(`${name}${issue.path.map((p) => `[${JSON.stringify(p)}]`).join("")}: ${issue.message}`);
  }
  return parsed.data.map((item, i) => {
    const m = /^today([+-]\d+)?$/.exec(item.from);
    const from = m ? formatDay(today + Number(m[1] ?? 0)) : item.from;
    if (parseDay(from) === undefined) throw new InjectionsError(`${name}[${i}].from: not a date (${item.from})`);
    const who = item.stores ? { stores: item.stores } : { share: item.share!, seed: item.seed! };
    if (item.kind === "weekday") {
      const factors = item.factors === "saturday-to-monday" ? SATURDAY_TO_MONDAY : item.factors;
      return { ...who, kind: "weekday", factors, from };
    }
    if (item.kind === "level") return { ...who, kind: "level", factor: item.factor, from };
    return { ...who, kind: "promo-stops", from };
  });
}

/** The part of a stream row an event changes. */
interface StreamRow {
  store: number;
  sales: number;
  customers: number;
  open: 0 | 1;
  promo: 0 | 1;
}

/**
 * For the stream producer: each row sent as `day` gets the change its store's events make on that
 * day and weekday (sales and customers scaled alike), so the change shows in the streamed days after
 * training just as it does in the generated history. `promoLift` is the store's promo lift (profiles.ts).
 */
export function streamAdjuster(
  events: readonly StoreEvent[],
  promoLift: (store: number) => number,
): <R extends StreamRow>(row: R, day: number) => R {
  const effectsOf = storeEffects(events);
  return (row, day) => {
    if (row.open !== 1) return row;
    const f = effectsOf(row.store).factor(day, isoWeekday(day), row.promo === 1, promoLift(row.store));
    if (f === 1) return row;
    return {
      ...row,
      sales: Math.max(1, Math.round(row.sales * f)),
      customers: Math.max(1, Math.round(row.customers * f)),
    };
  };
}
