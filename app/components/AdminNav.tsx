import { NavLink } from "@remix-run/react";
import type { ReactNode } from "react";

const TABS = [
  { to: "/admin", label: "Users", end: true },
  { to: "/admin/tokens", label: "API tokens", end: false },
] as const;

/** The admin pages' heading and their tabs (users, API tokens). */
export function AdminNav({ intro }: { intro: ReactNode }) {
  return (
    <section aria-labelledby="admin-heading" className="space-y-3">
      <h1 id="admin-heading" className="text-2xl font-semibold">
        Admin
      </h1>
      <p className="max-w-3xl text-slate-600 dark:text-slate-300">{intro}</p>
      <nav aria-label="Admin" className="flex gap-1 border-b border-slate-200 dark:border-slate-800">
        {TABS.map((tab) => (
          <NavLink
            key={tab.to}
            to={tab.to}
            end={tab.end}
            className={({ isActive }) =>
              [
                "-mb-px border-b-2 px-3 py-2 text-sm font-medium",
                isActive
                  ? "border-blue-700 text-blue-800 dark:border-blue-400 dark:text-blue-300"
                  : "border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white",
              ].join(" ")
            }
          >
            {tab.label}
          </NavLink>
        ))}
      </nav>
    </section>
  );
}
