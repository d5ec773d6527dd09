import type { RejectsFilter } from "../sales/rejects.server.js";

/** The Rejected records page's address for a filter, with `extra` query fields (a page, a confirm step, a report). */
export function rejectsHref(filter: Omit<RejectsFilter, "before">, extra: Record<string, string> = {}): string {
  const s = new URLSearchParams();
  if (filter.kind) s.set("reason", filter.kind);
  if (filter.from) s.set("from", filter.from);
  if (filter.to) s.set("to", filter.to);
  for (const [k, v] of Object.entries(extra)) s.set(k, v);
  const query = s.toString();
  return query ? `/rejects?${query}` : "/rejects";
}
