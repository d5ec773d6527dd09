import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { rejectsPerDaySpec } from "../../charts/rejects.js";
import { Badge } from "../../components/Badge.js";
import { formatDateTime, formatInteger } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { PageLinks } from "../../components/PageLinks.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { VegaChart } from "../../components/VegaChart.js";
import { ValidationError } from "../../errors.js";
import {
  PAYLOAD_PREVIEW,
  pageRejects,
  parseRejectsQuery,
  REJECT_KINDS,
  rejectsPerDay,
} from "../../sales/rejects.server.js";
import { requireRole } from "../../server/authorize.server.js";

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
  const [page, perDay] = await Promise.all([
    pageRejects(context.db, filter, PAGE_SIZE),
    rejectsPerDay(context.db, { days: DAYS }),
  ]);
  return {
    kinds: REJECT_KINDS,
    filter: { reason: filter.kind ?? "", from: filter.from ?? "", to: filter.to ?? "" },
    paged: filter.before !== undefined,
    next: page.next,
    preview: PAYLOAD_PREVIEW,
    // The payload once (its preview is its start): a page of long payloads is heavy enough.
    rejects: page.rejects.map(({ preview: _p, full, ...r }) => ({
      ...r,
      payload: full ?? _p,
      receivedAt: r.receivedAt.toISOString(),
    })),
    perDay,
  };
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
  const { kinds, filter, paged, next, preview, rejects, perDay } = useLoaderData<typeof loader>();
  const filtered = filter.reason !== "" || filter.from !== "" || filter.to !== "";
  const href = (before?: number) => {
    const s = new URLSearchParams();
    if (filter.reason) s.set("reason", filter.reason);
    if (filter.from) s.set("from", filter.from);
    if (filter.to) s.set("to", filter.to);
    if (before !== undefined) s.set("before", String(before));
    const query = s.toString();
    return query ? `/rejects?${query}` : "/rejects";
  };
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
          partition, offset). Nothing is dropped silently; rejects are deleted only by retention.
        </p>
      </section>

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
