/** What a page form's action answered: a refusal or a confirmation, shown next to that form. */
export interface FormOutcome {
  /** Which form: its `intent`, and the row's id for a form of a table row. */
  intent: string;
  id: number | null;
  /** The field a refusal is about, when one is. */
  field?: string;
  error?: string;
  ok?: string;
}

/** The outcome, when it concerns this form (`intent` and `id`), or nothing. */
export function Outcome({ outcome, intent, id = null }: { outcome?: FormOutcome; intent: string; id?: number | null }) {
  if (!outcome || outcome.intent !== intent || outcome.id !== id) return null;
  if (outcome.error) {
    return (
      <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="refusal">
        {outcome.error}
      </p>
    );
  }
  if (outcome.ok) {
    return (
      <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400" data-testid="done">
        {outcome.ok}
      </p>
    );
  }
  return null;
}
