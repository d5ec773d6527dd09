/** Class strings several pages share, so a link or a field looks the same everywhere. */
export const linkClass = "text-blue-700 underline-offset-2 hover:underline dark:text-blue-400";
export const inputClass =
  "mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";
