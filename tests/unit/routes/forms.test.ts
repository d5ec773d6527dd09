import { describe, expect, it } from "vitest";
import { CSRF_FIELD, csrfToken } from "../../../app/auth/csrf.server.js";
import { PAGE_FORM_MAX_BYTES, readForm as readFormOf } from "../../../app/routes/_pages+/forms.server.js";

const context = { signingKey: "k".repeat(32), sessionId: null };
const TOKEN = `${CSRF_FIELD}=${csrfToken(context.signingKey, null)}`;
const readForm = (request: Request) => readFormOf(request, context);

const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** A streamed body of `chunks` chunks of `size` bytes; `pulled()` says how many were read. */
function streamed(chunks: number, size: number) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x61));
    },
  });
  return { body, pulled: () => pulled };
}

const post = (body: BodyInit, headers: Record<string, string> = FORM) =>
  new Request("http://x/stores/1", { method: "POST", body, headers, duplex: "half" } as RequestInit);

/** What readForm threw for the error page: Remix's `data(message, { status })`. */
async function thrown(p: Promise<unknown>): Promise<{ status: number | undefined; message: unknown }> {
  try {
    await p;
  } catch (err) {
    const refusal = err as { data?: unknown; init?: { status?: number } | null };
    if (refusal.init) return { status: refusal.init.status, message: refusal.data };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("readForm", () => {
  it("reads a urlencoded or multipart form", async () => {
    expect((await readForm(post(`intent=retrain&product=product_A&${TOKEN}`)))?.get("product")).toBe("product_A");
    const multipart = new FormData();
    multipart.set("intent", "promote");
    multipart.set(CSRF_FIELD, csrfToken(context.signingKey, null));
    expect((await readForm(new Request("http://x/", { method: "POST", body: multipart })))?.get("intent")).toBe(
      "promote",
    );
  });

  it("is null for a body that is not a form (the page answers 400)", async () => {
    expect(await readForm(post("{}", { "content-type": "application/json" }))).toBeNull();
    expect(await readForm(post("--x\r\nbroken", { "content-type": "multipart/form-data; boundary=x" }))).toBeNull();
    expect(await readForm(post("a=1", {}))).toBeNull();
  });

  it("refuses a declared length over 1 MB with 413 before reading any of it", async () => {
    const body = streamed(200, 64 * 1024);
    const res = await thrown(readForm(post(body.body, { ...FORM, "content-length": String(PAGE_FORM_MAX_BYTES + 1) })));
    expect(res.status).toBe(413);
    expect(res.message).toMatch(/too large/);
    expect(body.pulled()).toBeLessThanOrEqual(1); // the stream's first pull happens on construction
  });

  it("refuses a streamed body without a length once it passes 1 MB, without keeping it", async () => {
    // 100 MB offered in 1 MB chunks: refused after the second chunk's bytes (then drained, not kept).
    const body = streamed(100, 1024 * 1024);
    const res = await thrown(readForm(post(body.body)));
    expect(res.status).toBe(413);
  });
});
