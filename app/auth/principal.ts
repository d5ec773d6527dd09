/**
 * Who is asking: a signed-in user, an API token, or anyone at all when auth is off (the local quick
 * start bound to 127.0.0.1). Roles are ordered: each allows what the ones before it allow.
 */
export const ROLES = ["viewer", "planner", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What each role adds to the one before it (the README's Security section says the same). */
export const ROLE_DUTIES: Record<Role, string> = {
  viewer: "read everything",
  planner: "retrain a series, ad-hoc forecasts",
  operator: "train-all, pipelines, schedules, promote and roll back, replay rejects",
  admin: "users and API tokens",
};

export interface Principal {
  /**
   * `open`: auth is off, every request may do everything (as the reference system); `system`: the
   * application itself (the automatic retraining policy), never a request.
   */
  kind: "user" | "token" | "open" | "system";
  /** The user's or token's id ("open" when auth is off). */
  id: string;
  /** What the audit log and the UI show: the user name, the token's name. */
  name: string;
  role: Role;
}

export const OPEN_PRINCIPAL: Principal = Object.freeze({
  kind: "open",
  id: "open",
  name: "anyone (auth off)",
  role: "admin",
}) as Principal;

/** The automatic retraining policy, as the audit log names it. */
export const POLICY_PRINCIPAL: Principal = Object.freeze({
  kind: "system",
  id: "auto-retrain",
  name: "automatic retraining policy",
  role: "operator",
}) as Principal;

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether `have` may do what needs `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * The key a client's request budget and rate limits are counted under: the user or token, or the
 * address when nobody signed in.
 */
export function clientKey(principal: Principal | null, ip: string): string {
  return principal === null || principal.kind === "open" ? `ip:${ip}` : `${principal.kind}:${principal.id}`;
}
