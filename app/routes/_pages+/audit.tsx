import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { pageAudit } from "../../audit/log.server.js";
import { Badge, type BadgeTone } from "../../components/Badge.js";
import { formatDateTime } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { PageLinks } from "../../components/PageLinks.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { requireRole } from "../../server/authorize.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: audit log" }];

const PAGE_SIZE = 50;
const ACTION = /^[A-Za-z0-9._-]{1,60}$/;
const ACTOR = /^[^\p{Cc}]{1,100}$/u;

/**
 * The audit log, newest first, filtered by action (or its first words) and actor, paged by id.
 * Read only: this page has no action, and the table refuses changes (app/audit). Operators and up.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireRole(context, request, "operator");
  const params = new URL(request.url).searchParams;
  const action = params.get("action")?.trim() ?? "";
  const actor = params.get("actor")?.trim() ?? "";
  const before = params.get("before") ?? "";
  const problems = [
    action !== "" && !ACTION.test(action) ? "An action is letters, digits, '.', '_' or '-' (e.g. model.promote)." : "",
    actor !== "" && !ACTOR.test(actor) ? "An actor is a user or token name of at most 100 characters." : "",
    before !== "" && !/^\d{1,15}$/.test(before) ? "That page does not exist: showing the newest entries." : "",
  ].filter(Boolean);
  const page = await pageAudit(context.db, {
    action: action && ACTION.test(action) ? action : undefined,
    actor: actor && ACTOR.test(actor) ? actor : undefined,
    before: /^\d{1,15}$/.test(before) ? before : undefined,
    limit: PAGE_SIZE,
  });
  return {
    action,
    actor,
    paged: /^\d{1,15}$/.test(before),
    problems,
    next: page.next,
    entries: page.entries.map((e) => ({
      ...e,
      at: e.at.toISOString(),
      detail: e.detail === null ? null : JSON.stringify(e.detail),
    })),
  };
}

const KIND_TONE: Record<string, BadgeTone> = { user: "blue", token: "amber", open: "grey" };

export default function Audit() {
  const { action, actor, paged, problems, next, entries } = useLoaderData<typeof loader>();
  const href = (before?: string) => {
    const s = new URLSearchParams();
    if (action) s.set("action", action);
    if (actor) s.set("actor", actor);
    if (before) s.set("before", before);
    const query = s.toString();
    return query ? `/audit?${query}` : "/audit";
  };
  return (
    <div className="space-y-6">
      <section aria-labelledby="audit-heading" className="space-y-2">
        <h1 id="audit-heading" className="text-2xl font-semibold">
          Audit log
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300">
          Who did what to which series, run, user or token, when, and from where: a user, an API token, or anyone while
          auth is off. Nothing here can be edited or deleted; the database refuses it too.
        </p>
      </section>

      <Form method="get" className="flex flex-wrap items-end gap-3" aria-label="Filter the audit log">
        <Field id="audit-action" label="Action (or its first words)">
          <input
            id="audit-action"
            name="action"
            defaultValue={action}
            key={`action-${action}`}
            placeholder="model.promote"
            className={inputClass}
          />
        </Field>
        <Field id="audit-actor" label="Who (user or token name)">
          <input id="audit-actor" name="actor" defaultValue={actor} key={`actor-${actor}`} className={inputClass} />
        </Field>
        <button
          type="submit"
          className="rounded-md border border-slate-300 px-3 py-2 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
        >
          Show
        </button>
        {action || actor ? (
          <Link to="/audit" className={linkClass}>
            Clear filters
          </Link>
        ) : null}
      </Form>
      {problems.map((p) => (
        <p key={p} role="alert" className="text-sm text-red-700 dark:text-red-400">
          {p}
        </p>
      ))}

      {entries.length === 0 ? (
        <p className="text-slate-600 dark:text-slate-300">No entry{action || actor ? " matches" : " yet"}.</p>
      ) : (
        <TableFrame>
          <caption className="sr-only">Audit log entries, newest first</caption>
          <TableHead
            columns={[
              { label: "When" },
              { label: "Who" },
              { label: "What" },
              { label: "Target" },
              { label: "Detail", showFrom: "lg" },
              { label: "From", showFrom: "md" },
            ]}
          />
          <tbody data-testid="audit-rows">
            {entries.map((e) => (
              <tr key={e.id} data-id={e.id} className="border-t border-slate-100 align-top dark:border-slate-800">
                <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">{formatDateTime(e.at)}</td>
                <td className="px-3 py-1.5">
                  <Badge tone={KIND_TONE[e.actor.kind] ?? "grey"}>{e.actor.kind}</Badge>{" "}
                  <span data-testid="actor">{e.actor.name}</span>
                </td>
                <td className="px-3 py-1.5 font-mono text-xs" data-testid="action">
                  {e.action}
                </td>
                <td className="px-3 py-1.5 break-words">{e.target ?? "–"}</td>
                <td className="hidden max-w-xs px-3 py-1.5 font-mono text-xs break-all lg:table-cell">
                  {e.detail ?? "–"}
                </td>
                <td className="hidden px-3 py-1.5 whitespace-nowrap md:table-cell">{e.ip ?? "–"}</td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      )}
      <PageLinks noun="entries" newest={paged ? href() : null} older={next ? href(next) : null} />
    </div>
  );
}
