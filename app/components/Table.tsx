import type { ReactNode } from "react";

/** A data table in a bordered, horizontally scrolling frame. */
export function TableFrame({ children }: { children: ReactNode }) {
  return (
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <table className="w-full text-left text-sm">{children}</table>
    </div>
  );
}

/** Narrow screens hide the less important columns below this breakpoint (literal classes, for Tailwind's scan). */
const SHOW_FROM = { sm: "sm:table-cell", md: "md:table-cell", lg: "lg:table-cell" } as const;

export interface Column {
  label: ReactNode;
  /** Numbers are right-aligned. */
  numeric?: boolean;
  showFrom?: keyof typeof SHOW_FROM;
  /** A stable key when the label is not a string. */
  key?: string;
}

export function columnClass(c: Pick<Column, "numeric" | "showFrom">): string {
  return [
    c.showFrom ? "hidden" : "",
    "px-3 py-2",
    c.numeric ? "text-right" : "",
    c.showFrom ? SHOW_FROM[c.showFrom] : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** The header row of a table of columns. */
export function TableHead({ columns }: { columns: Column[] }) {
  return (
    <thead className="bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300">
      <tr>
        {columns.map((c) => (
          <th key={c.key ?? String(c.label)} scope="col" className={columnClass(c)}>
            {c.label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
