/**
 * The Rejected records page's replay action: one reject (intent `replay`, its `id`) or every reject
 * of the page's filter that today's rules accept (intent `replay-all`, the filter's fields). Writes
 * through app/sales/reject-replay.server.ts, scores the replayed actuals as the consumer does, and
 * records it in the audit log; answers with the page's address saying what happened.
 */
import { data } from "@remix-run/node";
import { rejectsHref } from "../../components/rejects-links.js";
import { ValidationError } from "../../errors.js";
import { scoreActuals, scoreSafely } from "../../monitoring/scoring.server.js";
import { type ReplayOutcome, replayMatching, replayRejects } from "../../sales/reject-replay.server.js";
import { parseRejectsQuery, type RejectsFilter } from "../../sales/rejects.server.js";
import { audit } from "../../server/authorize.server.js";
import type { StorecastContext } from "../../server/load-context.js";

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
};

/** What the replay did, as the page's query says it (parsed back by replayReport). */
function reportOf(outcome: ReplayOutcome & { limited?: boolean }): Record<string, string> {
  return {
    replayed: String(outcome.replayed.length),
    still: String(outcome.stillFailing.length),
    ...(outcome.limited ? { limited: "1" } : {}),
  };
}

export interface ReplayReport {
  replayed: number;
  still: number;
  limited: boolean;
}

/** The replay's report from the page's query, or null when the page was not reached from a replay. */
export function replayReport(params: URLSearchParams): ReplayReport | null {
  const n = (name: string) => {
    const v = params.get(name);
    return v !== null && /^\d{1,9}$/.test(v) ? Number(v) : null;
  };
  const replayed = n("replayed");
  const still = n("still");
  if (replayed === null || still === null) return null;
  return { replayed, still, limited: params.get("limited") === "1" };
}

/** Runs the posted replay; returns the address to redirect to, or throws a 400 naming the field. */
export async function runReplay(
  context: Pick<StorecastContext, "db" | "log" | "principal" | "clientIp">,
  form: FormData,
): Promise<string> {
  const intent = text(form, "intent");
  let filter: Omit<RejectsFilter, "before">;
  try {
    const f = parseRejectsQuery(
      new URLSearchParams({ reason: text(form, "reason"), from: text(form, "from"), to: text(form, "to") }),
    );
    filter = { kind: f.kind, from: f.from, to: f.to };
  } catch (err) {
    if (err instanceof ValidationError) throw data(err.message, { status: 400, statusText: "Bad Request" });
    throw err;
  }
  let outcome: ReplayOutcome & { limited?: boolean };
  if (intent === "replay") {
    const id = text(form, "id");
    if (!/^[1-9]\d{0,9}$/.test(id)) {
      throw data(`id: expected a reject id (a positive integer), got ${JSON.stringify(id.slice(0, 20))}`, {
        status: 400,
        statusText: "Bad Request",
      });
    }
    outcome = await replayRejects(context.db, [Number(id)]);
  } else if (intent === "replay-all") {
    outcome = await replayMatching(context.db, filter);
  } else {
    throw data("intent: this form replays rejects (replay or replay-all)", { status: 400, statusText: "Bad Request" });
  }
  await scoreSafely(context.log, "replayed rejects", () => scoreActuals(context.db, outcome.keys));
  await audit(
    context,
    "rejects.replay",
    intent === "replay" ? `reject ${text(form, "id")}` : `rejects matching ${rejectsHref(filter)}`,
    {
      replayed: outcome.replayed.slice(0, 100),
      replayedCount: outcome.replayed.length,
      stillFailing: outcome.stillFailing.length,
      ...(outcome.limited ? { limited: true } : {}),
    },
  );
  return rejectsHref(filter, reportOf(outcome));
}
