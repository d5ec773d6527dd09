import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigate, useNavigation } from "@remix-run/react";
import { type FormEvent, useEffect, useRef } from "react";
import { formatInteger, formatMetric } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { useSynced } from "../../components/useSynced.js";
import { listStoresPage } from "../../stores/list.server.js";
import {
  DEFAULT_DIR,
  parseStoreListParams,
  RECENT_SALES_DAYS,
  type SortDir,
  STORE_TYPES,
  type StoreSort,
  storeListHref,
} from "../../stores/list-params.js";

export const meta: MetaFunction = () => [{ title: "storecast: stores" }];

const PAGE_SIZE = 50;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const query = parseStoreListParams(new URL(request.url).searchParams);
  const result = await listStoresPage(context.db, {
    storePrefix: query.qError ? undefined : query.storePrefix,
    type: query.type,
    sort: query.sort,
    dir: query.dir,
    page: query.page,
    pageSize: PAGE_SIZE,
  });
  return {
    q: query.q,
    qError: query.qError,
    type: query.type ?? null,
    sort: query.sort,
    dir: query.dir,
    ...result,
    pageSize: PAGE_SIZE,
  };
}

type ListState = { q: string; type: string | null; sort: StoreSort; dir: SortDir; page: number };

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** On a phone the list keeps store, type and the two sortable figures; the rest shows from `sm` up. */
const WIDE = "hidden sm:table-cell";
const COLUMNS: { sort: StoreSort | null; label: string; numeric?: boolean; className?: string }[] = [
  { sort: "id", label: "Store" },
  { sort: null, label: "Type" },
  { sort: null, label: "Assortment", className: WIDE },
  { sort: null, label: "Products", className: WIDE },
  { sort: "sales", label: "Sales per day", numeric: true },
  { sort: "error", label: "CV RMSPE", numeric: true },
];

export default function StoresList() {
  const data = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const navigate = useNavigate();
  const form = useRef<HTMLFormElement>(null);
  const typing = useRef<ReturnType<typeof setTimeout>>();
  const state: ListState = { q: data.q, type: data.type, sort: data.sort, dir: data.dir, page: data.page };
  const loading = navigation.state === "loading" && navigation.location.pathname === "/stores";
  const first = data.total === 0 ? 0 : (data.page - 1) * data.pageSize + 1;
  const last = Math.min(data.total, data.page * data.pageSize);

  const [query, setQuery] = useSynced(data.q);
  const [type, setType] = useSynced(data.type ?? "");
  const [sort, setSort] = useSynced<string>(data.sort);
  const [dir, setDir] = useSynced<string>(data.dir);

  useEffect(() => () => clearTimeout(typing.current), []);

  // With JavaScript the list follows the controls as they change (the search box after a pause), to
  // an address without default values; a new sort starts in its own direction (sales and error: highest first).
  const onChange = (event: FormEvent<HTMLFormElement>) => {
    const changed = (event.target as HTMLInputElement).name;
    clearTimeout(typing.current);
    const send = () => {
      if (!form.current) return;
      const params = new URLSearchParams();
      for (const [name, value] of new FormData(form.current)) params.set(name, String(value));
      if (changed === "sort") params.delete("dir");
      const next = parseStoreListParams(params);
      navigate(storeListHref({ q: next.q, type: next.type ?? null, sort: next.sort, dir: next.dir, page: 1 }), {
        replace: true,
        preventScrollReset: true,
      });
    };
    if (changed === "q") typing.current = setTimeout(send, 300);
    else send();
  };

  return (
    <div className="space-y-5">
      <h1 className="text-2xl font-semibold">Stores</h1>

      <Form
        ref={form}
        method="get"
        role="search"
        aria-label="Filter stores"
        onChange={onChange}
        className="flex flex-wrap items-end gap-3"
      >
        <Field id="q" label="Find a store">
          <input
            id="q"
            name="q"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            autoComplete="off"
            placeholder="number or type"
            aria-invalid={data.qError ? true : undefined}
            aria-describedby={data.qError ? "q-error" : undefined}
            className={`${inputClass} w-44`}
          />
        </Field>
        <Field id="type" label="Store type">
          <select id="type" name="type" value={type} onChange={(e) => setType(e.target.value)} className={inputClass}>
            <option value="">All types</option>
            {STORE_TYPES.map((t) => (
              <option key={t} value={t}>
                Type {t}
              </option>
            ))}
          </select>
        </Field>
        <Field id="sort" label="Sort by">
          <select id="sort" name="sort" value={sort} onChange={(e) => setSort(e.target.value)} className={inputClass}>
            <option value="id">Store number</option>
            <option value="sales">Sales</option>
            <option value="error">CV error</option>
          </select>
        </Field>
        <Field id="dir" label="Order">
          <select id="dir" name="dir" value={dir} onChange={(e) => setDir(e.target.value)} className={inputClass}>
            <option value="asc">Ascending</option>
            <option value="desc">Descending</option>
          </select>
        </Field>
        <button
          type="submit"
          className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
        >
          Apply
        </button>
        {data.qError ? (
          <p id="q-error" className="w-full text-sm text-red-700 dark:text-red-400">
            {data.qError}
          </p>
        ) : null}
      </Form>

      <p className="text-sm text-slate-600 dark:text-slate-300" aria-live="polite" data-testid="store-count">
        {loading
          ? "Loading…"
          : data.total === 0
            ? "No store matches."
            : `Stores ${formatInteger(first)}–${formatInteger(last)} of ${formatInteger(data.total)}`}
      </p>

      {data.total > 0 ? (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">
              Stores, sorted by {data.sort === "id" ? "store number" : data.sort === "sales" ? "sales" : "CV error"},{" "}
              {data.dir === "asc" ? "ascending" : "descending"}
            </caption>
            <thead className="bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300">
              <tr>
                {COLUMNS.map((c) => {
                  const active = c.sort === data.sort;
                  const nextDir: SortDir = active ? (data.dir === "asc" ? "desc" : "asc") : DEFAULT_DIR[c.sort ?? "id"];
                  return (
                    <th
                      key={c.label}
                      scope="col"
                      aria-sort={active ? (data.dir === "asc" ? "ascending" : "descending") : undefined}
                      className={`px-3 py-2 ${c.numeric ? "text-right" : ""} ${c.className ?? ""}`}
                    >
                      {c.sort ? (
                        <Link
                          to={storeListHref({ ...state, sort: c.sort, dir: nextDir, page: 1 })}
                          preventScrollReset
                          className="hover:underline"
                        >
                          {c.label}
                          {active ? <span aria-hidden="true">{data.dir === "asc" ? " ▲" : " ▼"}</span> : null}
                        </Link>
                      ) : (
                        c.label
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody data-testid="store-rows">
              {data.rows.map((s) => (
                <tr key={s.store} className="border-t border-slate-100 dark:border-slate-800">
                  <th scope="row" className="px-3 py-1.5 font-medium tabular-nums">
                    <Link to={`/stores/${s.store}`} className={linkClass} prefetch="intent">
                      {s.store}
                    </Link>
                  </th>
                  <td className="px-3 py-1.5">{s.storeType ?? "–"}</td>
                  <td className={`px-3 py-1.5 ${WIDE}`}>{s.assortment ?? "–"}</td>
                  <td className={`px-3 py-1.5 ${WIDE}`}>{s.products.join(", ")}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">
                    {s.salesPerDay === null ? "–" : number.format(s.salesPerDay)}
                  </td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{formatMetric(s.cvRmspe, "ratio")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {data.total > 0 ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Sales per day: average daily sales of all the store's products over the last {RECENT_SALES_DAYS} complete
          days. CV RMSPE: the cross-validation error (root mean squared percentage error) of the store's models in
          production; lower is better.
        </p>
      ) : null}

      {data.pages > 1 ? (
        <nav aria-label="Pages" className="flex items-center justify-between gap-3 text-sm">
          {data.page > 1 ? (
            <Link to={storeListHref({ ...state, page: data.page - 1 })} className={linkClass} rel="prev">
              Previous page
            </Link>
          ) : (
            <span aria-hidden="true" />
          )}
          <span>
            Page {data.page} of {data.pages}
          </span>
          {data.page < data.pages ? (
            <Link to={storeListHref({ ...state, page: data.page + 1 })} className={linkClass} rel="next">
              Next page
            </Link>
          ) : (
            <span aria-hidden="true" />
          )}
        </nav>
      ) : null}
    </div>
  );
}
