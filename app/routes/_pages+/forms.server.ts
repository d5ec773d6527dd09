import type { Logger } from "pino";

/** Small guards the pages' loaders and actions share. */

/** The posted form, or null when the body is not a form: the caller answers 400, not a 500. */
export async function readForm(request: Request): Promise<FormData | null> {
  try {
    return await request.formData();
  } catch {
    return null;
  }
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
