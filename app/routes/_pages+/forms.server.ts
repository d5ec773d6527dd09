import { data } from "@remix-run/node";
import type { Logger } from "pino";
import { CSRF_FIELD, validCsrf } from "../../auth/csrf.server.js";
import type { StorecastContext } from "../../server/load-context.js";

/** Small guards the pages' loaders and actions share. */

/**
 * The posted form, or null when the body is not a form: the caller answers 400, not a 500. A form
 * without this session's CSRF token is refused with 403 (the root error boundary says so).
 */
export async function readForm(
  request: Request,
  context: Pick<StorecastContext, "signingKey" | "sessionId">,
): Promise<FormData | null> {
  let form: FormData;
  try {
    form = await request.formData();
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
