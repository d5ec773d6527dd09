/**
 * fast-check generators of HTTP requests for the fuzz test (tests/integration/fuzz.test.ts): every
 * route's path with its parameters either plausible (an existing store, product, version) or hostile
 * (any code point including NUL, invalid percent-escapes, huge numbers, long runs), odd query strings,
 * methods, content types and bodies (arbitrary JSON, bytes, near-valid objects, oversized).
 */
import fc from "fast-check";

/**
 * What the generators learn from the live server before the first run (they read it lazily, at
 * generation time): its origin, and the CSRF token its pages' forms carry (one per install with
 * auth off).
 */
export const live = { origin: "", csrf: "" };

export interface FuzzRequest {
  method: string;
  /** Sent as is: already percent-encoded, ASCII only. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
}

/**
 * Well-formed dates: mostly around the data (inside the forecast window or near its edges), and a
 * share anywhere from year 1 to 9999, which the forecast window must refuse at once (year 9999 held
 * both model threads for minutes before it).
 */
const NEAR = { min: 2015, max: 2030 };
const ANY = { min: 1, max: 9999 };
const utcDate = (years: { min: number; max: number }) => {
  const min = new Date(0);
  min.setUTCFullYear(years.min, 0, 1);
  const max = new Date(0);
  max.setUTCFullYear(years.max, 11, 31);
  return fc.date({ min, max, noInvalidDate: true });
};
const validDate = fc.oneof({ weight: 3, arbitrary: utcDate(NEAR) }, { weight: 1, arbitrary: utcDate(ANY) });

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`;

/** Every character outside the unreserved set as the percent-escapes of its UTF-8 bytes. */
export function encodeSegment(text: string): string {
  let out = "";
  for (const ch of text) out += UNRESERVED.test(ch) ? ch : [...Buffer.from(ch, "utf8")].map(hex).join("");
  return out;
}

const HUGE_NUMBERS = [
  "0",
  "-1",
  "+1",
  "01",
  "1.5",
  "1e3",
  "1e999",
  "-0",
  "0x1F",
  "Infinity",
  "NaN",
  "2147483647",
  "2147483648",
  "4294967296",
  "9007199254740993",
  "99999999999999999999999999999999",
  "%EF%BC%91", // fullwidth 1
  "%D9%A1%D9%A2", // Arabic-Indic 12
];

const ODD_ESCAPES = [
  "%",
  "%zz",
  "%F",
  "%%",
  "%00",
  "a%00b",
  "%FF",
  "%C0%AF",
  "%ED%A0%80",
  "%2F",
  "%2e%2e",
  "..",
  "%20",
];

/** One hostile path segment or query value, already encoded. */
export const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }).map(encodeSegment),
  fc.string({ unit: "binary-ascii", maxLength: 20 }).map(encodeSegment),
  fc.constantFrom(...HUGE_NUMBERS),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.integer().map(String),
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => [...bytes].map(hex).join("")),
  fc.constantFrom(...ODD_ESCAPES),
  fc.integer({ min: 100, max: 3000 }).map((n) => "7".repeat(n)),
  fc.integer({ min: 100, max: 3000 }).map((n) => "x".repeat(n)),
);

/** A path parameter: plausible (so deeper code runs), plausible but for a NUL or a control character, or hostile. */
const param = (...plausible: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...plausible) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...plausible), fc.constantFrom("%00", "%01", "%0A", "%7F", "%C2%80"), fc.boolean())
        .map(([p, odd, before]) => (before ? `${odd}${p}` : `${p}${odd}`)),
    },
    { weight: 5, arbitrary: hostile },
  );

export const store = param("1", "2", "3");
export const product = param("product_A", "product_B");
const version = param("1", "2", "3");
const runId = param("1", "2");
const jobId = param("00000000-0000-4000-8000-000000000000", "1", "repeat:train-weekly");

/** `?k=v&...` from the route's known keys and any others, values plausible or hostile. */
export function query(keys: string[], plausible: string[] = []): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...keys, "_data", "index") },
    { weight: 1, arbitrary: hostile },
  );
  const value = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.constantFrom("", "a", "1", "%00", "1%00", "asc", "desc", "train-all", "SUCCEEDED", ...plausible),
    },
    { weight: 3, arbitrary: hostile },
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant("") },
    {
      weight: 4,
      arbitrary: fc
        .array(fc.tuple(key, value), { minLength: 1, maxLength: 5 })
        .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`),
    },
    { weight: 1, arbitrary: fc.constantFrom("?", "?&&", "?=", "?%FF", "?a=%", "?a&a&a", "?a=1&a=2&a=%00") },
  );
}

const day = validDate.map((d) => d.toISOString().slice(0, 10));
const seedDate = validDate.map((d) => `${d.toISOString().slice(0, 19)}Z`);

/** Any JSON value, strings with any code point (NUL included). */
const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" });
const oddText = fc.string({ unit: "binary", maxLength: 40 });
const dateLike = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 1, arbitrary: oddText },
    { weight: 1, arbitrary: anyJson },
    {
      weight: 1,
      arbitrary: fc.constantFrom("2024-02-30", "2023-02-29", "0000-01-01", "2024-1-1", "2024-01-01T25:00:00Z", ""),
    },
  );

/** Native ad-hoc forecast bodies: `{begin, end}`, each plausible or not, with stray keys. */
export const adhocBody = fc.record(
  { begin: dateLike(day), end: dateLike(day), extra: anyJson },
  { requiredKeys: [] },
) as fc.Arbitrary<unknown>;

/** Reference batch forecast bodies: a list of items, each field plausible or not. */
export const seedForecastBody = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          store_id: fc.oneof(fc.constantFrom("1", "2", "3", 1, 2), anyJson),
          product_name: fc.oneof(fc.constantFrom("product_A", "product_B", "product_A\u0000"), oddText, anyJson),
          begin_date: fc.oneof(dateLike(seedDate), fc.constant(null)),
          end_date: fc.oneof(dateLike(seedDate), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: anyJson },
  ),
  { maxLength: 40 },
) as fc.Arbitrary<unknown>;

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/vnd.api+json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=fuzz",
  "multipart/form-data",
  "text/plain",
  "text/plain; charset=iso-8859-1",
  "application/octet-stream",
  "a/b/c",
  ";;;",
  "",
];

export interface BodyShape {
  contentType?: string;
  body?: Buffer;
  chunked?: boolean;
}

/** A body for a route whose well-formed body is `shaped` (JSON-encoded), or anything else. */
export function body(shaped: fc.Arbitrary<unknown> | null, oversizeBytes: number): fc.Arbitrary<BodyShape> {
  const payload = fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: shaped ? 20 : 0, arbitrary: (shaped ?? fc.constant(null)).map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 10, arbitrary: anyJson.map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
    { weight: 5, arbitrary: oddText.map((t) => Buffer.from(t)) },
    {
      weight: 5,
      arbitrary: fc
        .constantFrom('{"a":', "[", "\uFEFF[]", "null", '"x"', "1e999", "[{}]", "{}".repeat(50))
        .map((t) => Buffer.from(t)),
    },
    // Just past the limit: a 413, never read in full.
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(oversizeBytes + 1, 0x20)) },
  );
  return fc.record(
    {
      contentType: fc.oneof(
        { weight: 3, arbitrary: fc.constant("application/json") },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      body: payload,
      chunked: fc.boolean(),
    },
    { requiredKeys: ["body"] },
  );
}

/** Now and then the headers a browser, a forger or a confused client adds: origins, fetch metadata, credentials. */
const printable = fc.string({ unit: "grapheme-ascii", maxLength: 60 });
export const clientHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        origin: fc.oneof(
          fc.constant(null).map(() => live.origin),
          fc.constantFrom("http://evil.example", "null", "http://127.0.0.1", "file://", "%FF"),
          printable,
        ),
        "sec-fetch-site": fc.constantFrom("same-origin", "same-site", "cross-site", "none", "x"),
        authorization: fc.oneof(fc.constantFrom("Bearer ", "Bearer sc_x", "Basic Og==", "Bearer \u00ff"), printable),
        cookie: fc.oneof(fc.constantFrom("storecast_session=x", "a=b; ;;=", "storecast_session="), printable),
      },
      { requiredKeys: [] },
    ),
  },
);

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "PURGE"];

/** The route's own methods most of the time, any other now and then. */
export const method = (...own: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });

export function request(
  methodArb: fc.Arbitrary<string>,
  pathArb: fc.Arbitrary<string>,
  bodyArb: fc.Arbitrary<BodyShape>,
  headers: Record<string, string> = {},
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({ method: methodArb, path: pathArb, b: bodyArb, h: clientHeaders })
    .map(({ method, path, b, h }) => ({
      method,
      path,
      headers: { ...headers, ...h, ...(b.contentType !== undefined ? { "content-type": b.contentType } : {}) },
      body: method === "GET" || method === "HEAD" ? undefined : b.body,
      chunked: b.chunked,
    }));
}

/** `/a/b` from segments and a query, each segment an arbitrary. */
export const path = (parts: (string | fc.Arbitrary<string>)[], q: fc.Arbitrary<string> = fc.constant("")) =>
  fc
    .tuple(fc.tuple(...parts.map((p) => (typeof p === "string" ? fc.constant(p) : p))), q)
    .map(([segments, qs]) => `/${segments.join("/")}${qs}`);

export const params = { store, product, version, runId, jobId };
