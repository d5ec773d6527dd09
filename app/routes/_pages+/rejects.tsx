import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { rejectsPerDaySpec } from "../../charts/rejects.js";
import { Badge } from "../../components/Badge.js";
import { ConfirmDialog } from "../../components/ConfirmDialog.js";
import { formatDateTime, formatInteger } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { PageLinks } from "../../components/PageLinks.js";
import { rejectsHref } from "../../components/rejects-links.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { VegaChart } from "../../components/VegaChart.js";
import { ValidationError } from "../../errors.js";
import { passesNow } from "../../sales/reject-replay.server.js";
import {
  PAYLOAD_PREVIEW,
  pageRejects,
  parseRejectsQuery,
  REJECT_KINDS,
  rejectsPerDay,
} from "../../sales/rejects.server.js";
import { hasRole, requireRole } from "../../server/authorize.server.js";
import { readForm } from "./forms.server.js";
import { replayReport, runReplay } from "./reject-replay-action.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: rejected records" }];

const PAGE_SIZE = 50;
/** Days of the counts chart and table. */
const DAYS = 14;

/**
 * The stream's rejected records, newest first, filtered by reason class and received day (UTC),
 * paged by id; the counts per day and class of the last 14 days. Read only; viewers and up. A bad
 * filter is a 400 naming the field (the root error boundary shows it).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireRole(context, request, "viewer");
  const params = new URL(request.url).searchParams;
  let filter: ReturnType<typeof parseRejectsQuery>;
  try {
    filter = parseRejectsQuery(params);
  } catch (err) {
    if (err instanceof ValidationError) throw data(err.message, { status: 400, statusText: "Bad Request" });
    throw err;
  }
  const confirm = params.get("confirm");
  const [page, perDay] = await Promise.all([
    pageRejects(context.db, filter, PAGE_SIZE),
    rejectsPerDay(context.db, { days: DAYS }),
  ]);
  return {
    kinds: REJECT_KINDS,
    filter: { reason: filter.kind ?? "", from: filter.from ?? "", to: filter.to ?? "" },
    paged: filter.before !== undefined,
    before: filter.before ?? null,
    next: page.next,
    preview: PAYLOAD_PREVIEW,
    // The payload once (its preview is its start): a page of long payloads is heavy enough.
    rejects: page.rejects.map(({ preview: _p, full, ...r }) => ({
      ...r,
      payload: full ?? _p,
      receivedAt: r.receivedAt.toISOString(),
      // Judged by the consumer's own rules as of now (the replay judges the whole payload again).
      passes: passesNow(full ?? _p, r.length),
    })),
    perDay,
    canReplay: hasRole(context, "operator"),
    confirm:
      confirm === "all" ? ("all" as const) : confirm !== null && /^\d{1,10}$/.test(confirm) ? Number(confirm) : null,
    report: replayReport(params),
  };
}

/**
 * Replay (operators): the confirm step's form posts here; the rejects today's rules accept are
 * ingested as the consumer would and leave the list (docs/decisions/0034). Then back to the page
 * with the same filter (POST, redirect, GET), which says how many were replayed.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  requireRole(context, request, "operator");
  const form = await readForm(request, context);
  if (!form) throw data("The form could not be read: send it from this page.", { status: 400 });
  return redirect(await runReplay(context, form), 303);
}

/** The operators' entry to replaying: what replay does and the "replay all" confirm step. */
function ReplaySection({
  passingOnPage,
  filtered,
  confirmAllHref,
}: {
  passingOnPage: number;
  filtered: boolean;
  confirmAllHref: string;
}) {
  return (
    <section aria-labelledby="replay-heading" className="space-y-2">
      <h2 id="replay-heading" className="text-lg font-semibold">
        Replay
      </h2>
      <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-300">
        A reject marked <Badge tone="green">passes now</Badge> is accepted by today's rules (a rule fixed since, or a
        day that has come): replaying it ingests it as the consumer would, once, and removes it from this list.{" "}
        {formatInteger(passingOnPage)} on this page.
      </p>
      <Link
        to={confirmAllHref}
        preventScrollReset
        className="inline-block rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
      >
        Replay all that now pass{filtered ? " (this filter)" : ""}
      </Link>
    </section>
  );
}

/** What each class means, for someone who never read the ingestion code. */
const KIND_HELP: Record<string, string> = {
  empty: "empty message",
  not_utf8: "not UTF-8 text",
  not_json: "not JSON",
  not_object: "JSON, not an object",
  missing_field: "a field missing",
  invalid_field: "a field invalid",
  unknown_field: "a field unknown",
  other: "other",
};

export default function Rejects() {
  const { kinds, filter, paged, before, next, preview, rejects, perDay, canReplay, confirm, report } =
    useLoaderData<typeof loader>();
  const filtered = filter.reason !== "" || filter.from !== "" || filter.to !== "";
  const shownFilter = {
    kind: (filter.reason || undefined) as (typeof kinds)[number] | undefined,
    from: filter.from || undefined,
    to: filter.to || undefined,
  };
  const href = (before?: number) => rejectsHref(shownFilter, before === undefined ? {} : { before: String(before) });
  const passing = rejects.filter((r) => r.passes);
  // This page again (its `before` kept), with `extra`: the confirm steps and their Cancel.
  const here = (extra: Record<string, string> = {}) =>
    rejectsHref(shownFilter, { ...(before === null ? {} : { before: String(before) }), ...extra });
  const target = typeof confirm === "number" ? rejects.find((r) => r.id === confirm) : undefined;
  const filterFields = { reason: filter.reason, from: filter.from, to: filter.to };
  const countKinds = [...new Set(perDay.counts.map((c) => c.kind))].sort();
  const countOf = (day: string, kind: string) =>
    perDay.counts.find((c) => c.day === day && c.kind === kind)?.count ?? 0;
  const total = perDay.counts.reduce((n, c) => n + c.count, 0);
  return (
    <div className="space-y-8">
      <section aria-labelledby="rejects-heading" className="space-y-2">
        <h1 id="rejects-heading" className="text-2xl font-semibold">
          Rejected records
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300">
          Stream records the ingestion refused, with why, the raw message as it arrived and where it was read (topic,
          partition, offset). Nothing is dropped silently; rejects are deleted only by retention, or when replayed.
        </p>
      </section>
      {canReplay ? (
        <ReplaySection
          passingOnPage={passing.length}
          filtered={filtered}
          confirmAllHref={rejectsHref(shownFilter, { confirm: "all" })}
        />
      ) : null}
      {canReplay && confirm === "all" ? (
        <ConfirmDialog
          title="Replay every reject that passes now?"
          fields={{ intent: "replay-all", ...filterFields }}
          confirmLabel="Replay all that pass"
          cancelHref={here()}
        >
          <p>
            Every reject {filtered ? "matching this filter " : ""}that today's rules accept ({passing.length} on this
            page) is ingested as the consumer would ingest it, and leaves this list. Rejects that still fail stay as
            they are. A newer record of the same store, product and day is kept.
          </p>
        </ConfirmDialog>
      ) : null}
      {canReplay && target?.passes ? (
        <ConfirmDialog
          title={`Replay reject ${target.id}?`}
          fields={{ intent: "replay", id: String(target.id), ...filterFields }}
          confirmLabel="Replay"
          cancelHref={here()}
        >
          <p>
            Received {formatDateTime(target.receivedAt)}, refused as: {target.reason}
          </p>
          <p>
            Today's rules accept it: it is ingested as the consumer would ingest it and leaves this list (unless a newer
            record of the same store, product and day is already stored, which is kept).
          </p>
        </ConfirmDialog>
      ) : null}
      {canReplay && typeof confirm === "number" && !target?.passes ? (
        <p role="alert" className="text-amber-800 dark:text-amber-300">
          Reject {confirm} is not on this page or today's rules still refuse it: nothing to replay.
        </p>
      ) : null}
      {report ? (
        <p
          role="status"
          data-testid="replay-report"
          className="rounded-md bg-emerald-50 p-3 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100"
        >
          Replayed {formatInteger(report.replayed)} reject{report.replayed === 1 ? "" : "s"}
          {report.still > 0 ? `; ${formatInteger(report.still)} still fail today's rules and stay` : ""}
          {report.limited ? "; more may match: replay again for the rest" : ""}.
        </p>
      ) : null}

      <section aria-labelledby="per-day-heading" className="space-y-3">
        <h2 id="per-day-heading" className="text-lg font-semibold">
          The last {DAYS} days
        </h2>
        {total === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">No record rejected in the last {DAYS} days.</p>
        ) : (
          <>
            <VegaChart
              label={`Rejected records per day over the last ${DAYS} days, by reason`}
              spec={({ dark }) => rejectsPerDaySpec(perDay, { dark })!}
              className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
              fallback={
                <p className="text-sm text-slate-600 dark:text-slate-300">
                  The chart needs JavaScript; the table below has the same numbers.
                </p>
              }
            />
            <details>
              <summary className="cursor-pointer text-sm">The numbers per day</summary>
              <TableFrame>
                <caption className="sr-only">Rejected records per day (UTC) and reason</caption>
                <TableHead
                  columns={[
                    { label: "Day (UTC)" },
                    ...countKinds.map((k) => ({ label: k, numeric: true })),
                    { label: "All", numeric: true },
                  ]}
                />
                <tbody data-testid="per-day-rows">
                  {perDay.days.map((day) => (
                    <tr key={day} className="border-t border-slate-100 dark:border-slate-800">
                      <td className="px-3 py-1.5 tabular-nums">{day}</td>
                      {countKinds.map((k) => (
                        <td key={k} className="px-3 py-1.5 text-right tabular-nums">
                          {formatInteger(countOf(day, k))}
                        </td>
                      ))}
                      <td className="px-3 py-1.5 text-right tabular-nums">
                        {formatInteger(countKinds.reduce((n, k) => n + countOf(day, k), 0))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableFrame>
            </details>
          </>
        )}
      </section>

      <section aria-labelledby="list-heading" className="space-y-3">
        <h2 id="list-heading" className="text-lg font-semibold">
          Rejects, newest first
        </h2>
        <Form method="get" className="flex flex-wrap items-end gap-3" aria-label="Filter the rejected records">
          <Field id="rejects-reason" label="Reason">
            <select
              id="rejects-reason"
              name="reason"
              defaultValue={filter.reason}
              key={`reason-${filter.reason}`}
              className={inputClass}
            >
              <option value="">Any reason</option>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k}: {KIND_HELP[k] ?? k}
                </option>
              ))}
            </select>
          </Field>
          <Field id="rejects-from" label="From (UTC day)">
            <input
              id="rejects-from"
              name="from"
              type="date"
              defaultValue={filter.from}
              key={`from-${filter.from}`}
              className={inputClass}
            />
          </Field>
          <Field id="rejects-to" label="To (UTC day, included)">
            <input
              id="rejects-to"
              name="to"
              type="date"
              defaultValue={filter.to}
              key={`to-${filter.to}`}
              className={inputClass}
            />
          </Field>
          <button
            type="submit"
            className="rounded-md border border-slate-300 px-3 py-2 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            Show
          </button>
          {filtered ? (
            <Link to="/rejects" className={linkClass}>
              Clear filters
            </Link>
          ) : null}
        </Form>

        {rejects.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">No rejected record{filtered ? " matches" : " yet"}.</p>
        ) : (
          <TableFrame>
            <caption className="sr-only">Rejected records, newest first</caption>
            <TableHead
              columns={[
                { label: "Received (UTC)" },
                { label: "Reason" },
                { label: "Payload" },
                { label: "Read from", showFrom: "md" },
              ]}
            />
            <tbody data-testid="reject-rows">
              {rejects.map((r) => (
                <tr key={r.id} data-id={r.id} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">{formatDateTime(r.receivedAt)}</td>
                  <td className="max-w-sm px-3 py-1.5">
                    <Badge tone={r.kind === "other" ? "grey" : "amber"}>{r.kind}</Badge>{" "}
                    <span data-testid="reason" className="break-words">
                      {r.reason}
                    </span>
                    {r.passes ? (
                      <span className="mt-1 flex flex-wrap items-center gap-2" data-testid="passes-now">
                        <Badge tone="green">passes now</Badge>
                        {canReplay ? (
                          <Link
                            to={here({ confirm: String(r.id) })}
                            preventScrollReset
                            className={linkClass}
                            aria-label={`Replay reject ${r.id}`}
                          >
                            Replay
                          </Link>
                        ) : null}
                      </span>
                    ) : null}
                  </td>
                  <td className="max-w-md px-3 py-1.5 font-mono text-xs break-all" data-testid="payload">
                    {r.length === 0 ? (
                      <span className="text-slate-500 dark:text-slate-400">(no value)</span>
                    ) : r.length <= preview ? (
                      <code>{r.payload}</code>
                    ) : (
                      <details>
                        <summary className="cursor-pointer">
                          <code>{r.payload.slice(0, preview)}</code>… ({formatInteger(r.length)} characters; show all)
                        </summary>
                        <pre className="mt-1 whitespace-pre-wrap">{r.payload}</pre>
                        {r.payload.length < r.length ? (
                          <p className="text-slate-500 dark:text-slate-400">
                            The first {formatInteger(r.payload.length)} of {formatInteger(r.length)} characters.
                          </p>
                        ) : null}
                      </details>
                    )}
                  </td>
                  <td className="hidden px-3 py-1.5 whitespace-nowrap md:table-cell">
                    {r.topic === null ? "–" : `${r.topic} / ${r.partition ?? "–"} / ${r.offset ?? "–"}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Payloads longer than {preview} characters open with their first {preview}; binary payloads are stored as
          base64.
        </p>
        <PageLinks noun="rejects" newest={paged ? href() : null} older={next !== null ? href(next) : null} />
      </section>
    </div>
  );
}
