import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { errorResponse, methodNotAllowed } from "../../server/api.server.js";
import { adhocFromSearch, selectSeries, seriesChartData, seriesCsv } from "./store-page.server.js";

/**
 * GET /stores/:store/forecast.csv?product=&begin=&end=: what the store page's chart shows, as CSV
 * (actual sales, the weekly forecast and, with begin and end, the ad-hoc forecast). The link on
 * the page carries the same parameters as the page, so the file matches the chart. Dates the form
 * would refuse (outside the forecast window, too many days) answer 400 JSON naming the field and
 * the window, before any forecast.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const search = new URL(request.url).searchParams;
  const { key } = await selectSeries(context, params.store, search);
  const [chart, adhoc] = await Promise.all([
    seriesChartData(context, key),
    adhocFromSearch(context, key, search, request),
  ]);
  if (adhoc.errors) {
    return errorResponse(400, Object.values(adhoc.errors).join(" "), {
      field: Object.keys(adhoc.errors)[0],
      window: adhoc.window,
      maxDays: adhoc.maxDays,
    });
  }
  const name = `store-${key.store}-${key.productname.replace(/[^\w.-]+/g, "_")}-forecast.csv`;
  return new Response(seriesCsv(chart, adhoc.forecast), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${name}"`,
      "Cache-Control": "no-store",
    },
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
