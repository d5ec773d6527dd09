/**
 * Normal users of the forecast API for the benchmarks (bench-api.ts, and its attacker scenario in
 * bench-api-attack.ts): random-store 7-day ad-hoc forecasts with autocannon.
 */
import autocannon from "autocannon";

const PRODUCT = "product_A";
const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

export interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/**
 * Random-store 7-day ad-hoc forecasts, `connections` at once, for `seconds`. `fresh`: each request
 * starts on a random day of the next year, so the server almost never has the answer kept and
 * computes it (the model itself stays loaded in the threads).
 */
export async function forecastLoad(
  url: string,
  stores: number[],
  connections: number,
  seconds: number,
  fresh = false,
): Promise<LoadResult> {
  const week = (start: number) => JSON.stringify({ begin: day(start), end: day(start + 6) });
  const body = week(1);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        setupRequest: (req) => ({
          ...req,
          ...(fresh ? { body: week(1 + Math.floor(Math.random() * 358)) } : {}),
          path: `/api/forecasts/${stores[Math.floor(Math.random() * stores.length)]}/${PRODUCT}`,
        }),
      },
    ],
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
