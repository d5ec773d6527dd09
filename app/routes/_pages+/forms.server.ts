import { data } from "@remix-run/node";
import type { Logger } from "pino";
import { CSRF_FIELD, validCsrf } from "../../auth/csrf.server.js";
import { ApiError } from "../../errors.js";
import { readBodyBytes } from "../../server/api.server.js";
import type { StorecastContext } from "../../server/load-context.js";

/** Small guards the pages' loaders and actions share. */

/** The pages' forms hold a few short fields: a larger body is refused (413) before it is read. */
export const PAGE_FORM_MAX_BYTES = 1024 * 1024;

/**
 * The posted form, or null when the body is not a form: the caller answers 400, not a 500. A body
 * over `limit` bytes (declared, or counted as it arrives) is refused with 413, and a form without
 * this session's CSRF token with 403 (the root error boundary says so).
 */
export async function readForm(
  request: Request,
  context: Pick<StorecastContext, "signingKey" | "sessionId">,
  limit = PAGE_FORM_MAX_BYTES,
): Promise<FormData | null> {
  let bytes: Buffer;
  try {
    bytes = await readBodyBytes(request, limit);
  } catch (err) {
    if (err instanceof ApiError && err.status === 413) {
      throw data(`The form is too large: a form sent from these pages is at most ${limit} bytes.`, { status: 413 });
    }
    return null;
  }
  let form: FormData;
  try {
    const type = request.headers.get("content-type") ?? "";
    form = await new Response(new Uint8Array(bytes), { headers: { "Content-Type": type } }).formData();
  } catch {
    return null;
  }
  if (!context.signingKey || !validCsrf(context.signingKey, context.sessionId, form.get(CSRF_FIELD))) {
    throw data("This form is out of date or came from another site: reload the page and send it again.", {
      status: 403,
    });
  }
  return form;
}

/**
 * A job lookup for a page. With Redis down the queue rejects, but the page's own data lives in the
 * database: show it without the job rather than a 500.
 */
export async function jobOrNull<T>(
  log: Pick<Logger, "warn">,
  lookup: () => Promise<T | null>,
  what: string,
): Promise<T | null> {
  try {
    return await lookup();
  } catch (err) {
    log.warn({ err }, `ui: ${what} unavailable`);
    return null;
  }
}
