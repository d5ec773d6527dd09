/** What the account and admin pages' actions share: reading a form's fields and answering a refusal. */
import { data } from "@remix-run/node";
import { AccountError } from "../../auth/accounts.server.js";
import { isRole, type Role } from "../../auth/principal.js";
import type { FormOutcome } from "../../components/FormOutcome.js";
import { RequestError } from "../../errors.js";

/** A text field, at most `max` characters (longer input is refused by the domain, not stored); "" when absent or a file. */
export function formText(form: FormData, name: string, max = 1001): string {
  const value = form.get(name);
  return typeof value === "string" ? value.slice(0, max) : "";
}

/** The `id` a row's form posts, or null when it is not a positive integer. */
export function formId(form: FormData): number | null {
  const text = formText(form, "id", 12);
  const n = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= 2_147_483_647 ? n : null;
}

export function formRole(form: FormData): Role | null {
  const value = formText(form, "role", 20);
  return isRole(value) ? value : null;
}

export type { FormOutcome };

/** A refusal shown next to its form, with the status a script posting the form would read. */
export function refuse(outcome: Omit<FormOutcome, "ok">, status = 400) {
  return data<FormOutcome>(outcome, { status });
}

/** An AccountError or a RequestError (a bad field) as the form's refusal; anything else is rethrown. */
export function refusalOf(err: unknown, intent: string, id: number | null) {
  if (err instanceof AccountError) {
    return refuse({ intent, id, field: err.field, error: sentence(err.message) }, err.conflict ? 409 : 400);
  }
  if (err instanceof RequestError) {
    const field = (err.details().field as string | undefined) ?? undefined;
    return refuse({ intent, id, field, error: sentence(err.message) }, err.status);
  }
  throw err;
}

/** "the current password is wrong" → "The current password is wrong." */
export const sentence = (text: string) =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;
