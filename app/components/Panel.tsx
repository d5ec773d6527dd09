import type { HTMLAttributes, ReactNode } from "react";

/** A bordered card section with its h2 heading; `id` is the heading's id, which names the section. */
export function Panel({
  id,
  title,
  children,
  ...rest
}: { id: string; title: ReactNode; children: ReactNode } & Omit<HTMLAttributes<HTMLElement>, "id" | "title">) {
  return (
    <section
      aria-labelledby={id}
      {...rest}
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}
