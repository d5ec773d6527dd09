import { Form, Link, useNavigate, useNavigation } from "@remix-run/react";
import { type ReactNode, useEffect, useRef } from "react";
import { CsrfField } from "./CsrfField.js";

const buttonClass =
  "rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60";

/**
 * A confirm step reached by a GET link (nothing changes until "Confirm" is pressed). Without
 * JavaScript it is an open <dialog> in the page's flow whose form POSTs `fields`; with JavaScript it
 * becomes modal (focus stays inside, Escape goes to `cancelHref`).
 */
export function ConfirmDialog({
  title,
  children,
  fields,
  confirmLabel,
  cancelHref,
}: {
  title: string;
  children: ReactNode;
  /** Hidden fields of the posted form (intent and what it acts on). */
  fields: Record<string, string>;
  confirmLabel: string;
  cancelHref: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const navigate = useNavigate();
  const submitting = useNavigation().state === "submitting";
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || typeof dialog.showModal !== "function") return;
    // Rendered open for readers without JavaScript; reopen as modal.
    if (dialog.open) dialog.close();
    dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      open
      aria-labelledby="confirm-heading"
      aria-describedby="confirm-text"
      onCancel={(e) => {
        e.preventDefault();
        navigate(cancelHref, { replace: true, preventScrollReset: true });
      }}
      className="z-10 mx-auto my-4 w-full max-w-lg rounded-lg [&:not(:modal)]:relative border border-amber-300 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-slate-900/50 dark:border-amber-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <h2 id="confirm-heading" className="text-lg font-semibold">
        {title}
      </h2>
      <div id="confirm-text" className="mt-2 space-y-2 text-sm text-slate-700 dark:text-slate-300">
        {children}
      </div>
      <Form method="post" replace preventScrollReset className="mt-4 flex flex-wrap gap-3">
        <CsrfField />
        {Object.entries(fields).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button
          type="submit"
          disabled={submitting}
          className={`${buttonClass} bg-amber-600 text-white hover:bg-amber-700 dark:bg-amber-500 dark:text-slate-950 dark:hover:bg-amber-400`}
        >
          {confirmLabel}
        </button>
        <Link
          to={cancelHref}
          replace
          preventScrollReset
          className={`${buttonClass} border border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800`}
        >
          Cancel
        </Link>
      </Form>
    </dialog>
  );
}
