import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { formatDateTime, formatInteger, formatMetric } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { useSynced } from "../../components/useSynced.js";
import { listRuns } from "../../pipelines/runs.server.js";
import { countProductionVersions, listProductionVersions } from "../../registry/versions.server.js";
import { parsePage } from "../../stores/list-params.js";

export const meta: MetaFunction = () => [{ title: "storecast: models" }];

const PAGE_SIZE = 50;
const SORTS = ["store", "rmspe"] as const;
type Sort = (typeof SORTS)[number];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams;
  const q = params.get("q")?.trim() ?? "";
  const invalidQuery = q !== "" && !/^\d{1,10}$/.test(q);
  const storePrefix = q !== "" && !invalidQuery ? q : undefined;
  const sort: Sort = (SORTS as readonly string[]).includes(params.get("sort") ?? "")
    ? (params.get("sort") as Sort)
    : "store";
  const total = await countProductionVersions(context.db, { storePrefix });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(parsePage(params.get("page")), pages);
  const [versions, [training]] = await Promise.all([
    listProductionVersions(context.db, { storePrefix, sort, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    listRuns(context.db, { kind: "train-all", limit: 1 }),
  ]);
  return {
    q,
    invalidQuery,
    sort,
    page,
    pages,
    total,
    training: training?.status === "RUNNING",
    models: versions.map((v) => ({
      store: v.store,
      productname: v.productname,
      version: v.version,
      cvRmspe: v.cvRmspe,
      cvRmse: v.cvRmse,
      trainStart: v.trainStart,
      trainEnd: v.trainEnd,
      createdAt: v.createdAt.toISOString(),
      promotedAt: v.promotedAt?.toISOString() ?? null,
    })),
  };
}

function pageHref(q: string, sort: Sort, page: number): string {
  const p = new URLSearchParams();
  if (q) p.set("q", q);
  if (sort !== "store") p.set("sort", sort);
  if (page > 1) p.set("page", String(page));
  const s = p.toString();
  return s ? `/models?${s}` : "/models";
}

export default function Models() {
  const { q, invalidQuery, sort, page, pages, total, training, models } = useLoaderData<typeof loader>();
  // Controlled: the fields follow the address when a link or Back changes it (React keeps a typed value otherwise).
  const [query, setQuery] = useSynced(q);
  const [sortChoice, setSortChoice] = useSynced<string>(sort);
  const navigation = useNavigation();
  const searching = navigation.state === "loading" && navigation.location?.pathname === "/models";
  const seriesHref = (m: { store: number; productname: string }) =>
    `/models/${m.store}/${encodeURIComponent(m.productname)}`;

  return (
    <div className="space-y-5">
      <section aria-labelledby="models-heading" className="space-y-2">
        <h1 id="models-heading" className="text-2xl font-semibold">
          Models
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300">
          One Prophet model per store and product. Each row is the version in production, with its cross-validation
          RMSPE (root mean squared percentage error over 5 folds of 7 days; lower is better). Open a model to see every
          version and roll back to an older one.
        </p>
      </section>

      <Form method="get" role="search" className="flex flex-wrap items-end gap-3">
        <Field id="models-q" label="Find a model by store number">
          <input
            id="models-q"
            name="q"
            inputMode="numeric"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="e.g. 262"
            aria-invalid={invalidQuery || undefined}
            aria-describedby={invalidQuery ? "models-q-error" : undefined}
            className={`${inputClass} w-44`}
          />
        </Field>
        <Field id="models-sort" label="Sort by">
          <select
            id="models-sort"
            name="sort"
            value={sortChoice}
            onChange={(e) => setSortChoice(e.target.value)}
            className={inputClass}
          >
            <option value="store">Store number</option>
            <option value="rmspe">Worst CV RMSPE first</option>
          </select>
        </Field>
        <button
          type="submit"
          className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2"
        >
          {searching ? "Searching…" : "Search"}
        </button>
        {invalidQuery ? (
          <p id="models-q-error" className="w-full text-sm text-red-700 dark:text-red-400">
            A store number is digits only, for example 262.
          </p>
        ) : null}
      </Form>

      <p className="text-sm text-slate-600 dark:text-slate-300" aria-live="polite">
        {total === 0
          ? q && !invalidQuery
            ? `No model for a store number starting with ${q}.`
            : training
              ? "No model in production yet: the first training is running (see Pipelines)."
              : "No model in production yet. Train every store from the Pipelines page."
          : `${formatInteger(total)} model${total === 1 ? "" : "s"} in production${q && !invalidQuery ? ` for stores starting with ${q}` : ""}; page ${page} of ${pages}.`}
      </p>

      {models.length > 0 ? (
        <TableFrame>
          <caption className="sr-only">Models in production, with their cross-validation error</caption>
          <TableHead
            columns={[
              { label: "Store" },
              { label: "Product" },
              { label: "Production version", numeric: true },
              { label: "CV RMSPE", numeric: true },
              { label: "CV RMSE", numeric: true, showFrom: "sm" },
              { label: "Training window", showFrom: "md" },
              { label: "Trained", showFrom: "md" },
            ]}
          />
          <tbody data-testid="model-rows">
            {models.map((m) => (
              <tr key={`${m.store}-${m.productname}`} className="border-t border-slate-100 dark:border-slate-800">
                <th scope="row" className="px-3 py-1.5 font-medium tabular-nums">
                  <Link to={seriesHref(m)} className={linkClass}>
                    {m.store}
                  </Link>
                </th>
                <td className="px-3 py-1.5">
                  <Link
                    to={seriesHref(m)}
                    className={linkClass}
                    aria-label={`Versions of store ${m.store} ${m.productname}`}
                  >
                    {m.productname}
                  </Link>
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums">{m.version}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{formatMetric(m.cvRmspe, "ratio")}</td>
                <td className="hidden px-3 py-1.5 text-right tabular-nums sm:table-cell">
                  {formatMetric(m.cvRmse, "sales")}
                </td>
                <td className="hidden px-3 py-1.5 tabular-nums md:table-cell">
                  {m.trainStart} to {m.trainEnd}
                </td>
                <td className="hidden px-3 py-1.5 tabular-nums md:table-cell">{formatDateTime(m.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      ) : null}

      {pages > 1 ? (
        <nav aria-label="Pages" className="flex items-center gap-4 text-sm">
          {page > 1 ? (
            <Link to={pageHref(q, sort, page - 1)} className={linkClass} rel="prev">
              Previous page
            </Link>
          ) : (
            <span className="text-slate-400 dark:text-slate-600">Previous page</span>
          )}
          <span aria-current="page">
            Page {page} of {pages}
          </span>
          {page < pages ? (
            <Link to={pageHref(q, sort, page + 1)} className={linkClass} rel="next">
              Next page
            </Link>
          ) : (
            <span className="text-slate-400 dark:text-slate-600">Next page</span>
          )}
        </nav>
      ) : null}
    </div>
  );
}
