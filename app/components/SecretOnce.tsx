import { useEffect, useState } from "react";
import { inputClass } from "./styles.js";

/**
 * A secret shown once (a new API token): selectable text, and a Copy button once JavaScript runs
 * (without it, select the field and copy).
 */
export function SecretOnce({ id, label, secret }: { id: string; label: string; secret: string }) {
  const [hydrated, setHydrated] = useState(false);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  useEffect(() => setHydrated(true), []);
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => setCopied("yes"),
      () => setCopied("no"),
    );
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <div className="flex flex-wrap items-center gap-2">
        <input
          id={id}
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          autoComplete="off"
          data-testid="new-token"
          className={`${inputClass} mt-0 w-full max-w-xl font-mono text-sm`}
        />
        {hydrated ? (
          <button
            type="button"
            onClick={copy}
            className="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            Copy
          </button>
        ) : null}
        <span role="status" className="text-sm text-slate-600 dark:text-slate-300">
          {copied === "yes" ? "Copied." : copied === "no" ? "Could not copy: select the text and copy it." : ""}
        </span>
      </div>
    </div>
  );
}
