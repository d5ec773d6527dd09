import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { linkClass } from "./styles.js";

/** A page's place under its parents: each parent a link followed by "/", then the page itself. */
export function Breadcrumbs({ parents, current }: { parents: { to: string; label: ReactNode }[]; current: ReactNode }) {
  return (
    <nav aria-label="Breadcrumb" className="text-sm">
      <ol className="flex flex-wrap gap-1 text-slate-600 dark:text-slate-400">
        {parents.map((p) => (
          <li key={p.to}>
            <Link to={p.to} className={linkClass}>
              {p.label}
            </Link>{" "}
            /
          </li>
        ))}
        <li>{current}</li>
      </ol>
    </nav>
  );
}
