/**
 * What happens to real stores, injected into generated sales from a day on: a level shift (a
 * competitor opens, a refurbishment), a changed weekday pattern, a promo that stops lifting sales.
 * Monitoring's tests stream such changes after training and check they are noticed. Pure: an event
 * only scales the expected sales of its store's open days, never the random draws, so every other
 * store and every earlier day stay exactly as generated without it.
 */
import { parseDay } from "../../days.js";
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
