/** Accounts (table users): local passwords, single sign-on subjects, roles, disabling. */
import type { Database } from "../platform/db.server.js";
import { isRole, type Role } from "./principal.js";
import { hashPassword, verifyPassword } from "./secrets.server.js";

export interface Account {
  id: number;
  username: string;
  role: Role;
  createdAt: Date;
  disabledAt: Date | null;
  /** Signs in through OpenID Connect only (no local password). */
  singleSignOn: boolean;
}

interface UserRow {
  id: number;
  username: string;
  role: string;
  created_at: Date | string;
  disabled_at: Date | string | null;
  password_hash: string | null;
  oidc_subject: string | null;
}

const COLUMNS = "id, username, role, created_at, disabled_at, password_hash, oidc_subject";

function toAccount(r: UserRow): Account {
  return {
    id: r.id,
    username: r.username,
    role: isRole(r.role) ? r.role : "viewer",
    createdAt: new Date(r.created_at),
    disabledAt: r.disabled_at === null ? null : new Date(r.disabled_at),
    singleSignOn: r.password_hash === null,
  };
}

export const USERNAME = /^[A-Za-z0-9._@-]{1,100}$/;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1000;

/** Why a new password is refused, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD) return `a password has at least ${MIN_PASSWORD} characters`;
  if (password.length > MAX_PASSWORD) return `a password has at most ${MAX_PASSWORD} characters`;
  return null;
}

export class AccountError extends Error {
  override name = "AccountError";
  constructor(
    readonly field: string,
    message: string,
    /** The input is fine but the state refuses it (a taken name, the last admin): HTTP's 409. */
    readonly conflict = false,
  ) {
    super(message);
  }
}

export async function listAccounts(db: Pick<Database, "sql">): Promise<Account[]> {
  const rows = await db.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY username`);
  return rows.map(toAccount);
}

export async function findAccount(db: Pick<Database, "sql">, id: number): Promise<Account | null> {
  const [row] = await db.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return row ? toAccount(row) : null;
}

/** Creates a local account; AccountError naming the field when the name is taken or the input bad. */
export async function createAccount(
  db: Pick<Database, "sql">,
  input: { username: string; password: string; role: Role },
): Promise<Account> {
  if (!USERNAME.test(input.username)) {
    throw new AccountError("username", "a user name is 1 to 100 letters, digits, '.', '_', '@' or '-'");
  }
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError("password", problem);
  const passwordHash = await hashPassword(input.password);
  const [row] = await db.sql.query<UserRow>(
    `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
    [input.username, passwordHash, input.role],
  );
  if (!row) throw new AccountError("username", `the user name "${input.username}" is taken`, true);
  return toAccount(row);
}

/** The account whose password this is, or null (disabled accounts never sign in). */
export async function checkPassword(
  db: Pick<Database, "sql">,
  username: string,
  password: string,
): Promise<Account | null> {
  const [row] = await db.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
  const ok = await verifyPassword(row?.password_hash ?? null, password);
  if (!row || !ok || row.disabled_at !== null || row.password_hash === null) return null;
  return toAccount(row);
}

/** Sets a password; every session of the account but `keepSession` is revoked. */
export async function setPassword(
  db: Pick<Database, "sql">,
  userId: number,
  password: string,
  keepSession?: string,
): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new AccountError("password", problem);
  const passwordHash = await hashPassword(password);
  await db.sql.query("UPDATE users SET password_hash = $2 WHERE id = $1", [userId, passwordHash]);
  await db.sql.query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2", [
    userId,
    keepSession ?? "",
  ]);
}

/**
 * A user's own password change: the current one must match. The session it is made from stays
 * signed in; every other session of the account is revoked.
 */
export async function changePassword(
  db: Pick<Database, "sql">,
  input: { userId: number; current: string; password: string; keepSession?: string },
): Promise<void> {
  const [row] = await db.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [input.userId]);
  if (row && row.password_hash === null) throw new AccountError("current", SINGLE_SIGN_ON_ONLY);
  // Verified even for an unknown account (the decoy hash): the answer takes the same time either way.
  const ok = await verifyPassword(row?.password_hash ?? null, input.current);
  if (!row || !ok || row.disabled_at !== null) throw new AccountError("current", "the current password is wrong");
  await setPassword(db, input.userId, input.password, input.keepSession);
}

const SINGLE_SIGN_ON_ONLY = "this account signs in with single sign-on: it has no password here";

/**
 * An admin's reset of someone's password: their sessions are revoked (but `keepSession`, the
 * admin's own when resetting their own). Null when there is no such account.
 */
export async function resetPassword(
  db: Pick<Database, "sql">,
  userId: number,
  password: string,
  keepSession?: string,
): Promise<Account | null> {
  const account = await findAccount(db, userId);
  if (!account) return null;
  if (account.singleSignOn) throw new AccountError("password", SINGLE_SIGN_ON_ONLY);
  await setPassword(db, userId, password, keepSession);
  return account;
}

export async function setRole(db: Pick<Database, "sql">, userId: number, role: Role): Promise<void> {
  await db.sql.query("UPDATE users SET role = $2 WHERE id = $1", [userId, role]);
}

/**
 * Disables (and signs out everywhere) or re-enables an account, unchecked: the admin page goes
 * through changeAccount(), which keeps the last enabled admin.
 */
export async function setDisabled(db: Pick<Database, "sql">, userId: number, disabled: boolean): Promise<void> {
  await db.sql.query(`UPDATE users SET disabled_at = ${disabled ? "now()" : "NULL"} WHERE id = $1`, [userId]);
  if (disabled) {
    await db.sql.query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", [userId]);
  }
}

/** Wait and run limits of the account-change transaction (it only waits on other admins' changes). */
const TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;

/**
 * Changes an account's role and/or disables or re-enables it (a disabled account is signed out
 * everywhere). The last enabled admin can be neither demoted nor disabled: AccountError naming
 * `role` or `disabled`. Every enabled admin's row is locked first, in id order, so two admins
 * demoting each other at once are serialised and the second sees the first's change (a count
 * read without the lock would let both through). Null when there is no such account.
 */
export async function changeAccount(
  db: Pick<Database, "prisma">,
  userId: number,
  change: { role?: Role; disabled?: boolean },
): Promise<{ before: Account; after: Account } | null> {
  return db.prisma.$transaction(async (tx) => {
    const admins = await tx.$queryRaw<{ id: number }[]>`
      SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE`;
    const [row] = await tx.$queryRaw<UserRow[]>`
      SELECT id, username, role, created_at, disabled_at, password_hash, oidc_subject
      FROM users WHERE id = ${userId} FOR UPDATE`;
    if (!row) return null;
    const before = toAccount(row);
    const role = change.role ?? before.role;
    const disabled = change.disabled ?? before.disabledAt !== null;
    const wasAdmin = admins.some((a) => a.id === userId);
    if (wasAdmin && admins.length === 1 && (role !== "admin" || disabled)) {
      throw new AccountError(
        role !== "admin" ? "role" : "disabled",
        `the last enabled admin (${before.username}) may be neither demoted nor disabled: make another admin first`,
        true,
      );
    }
    const [updated] = await tx.$queryRaw<UserRow[]>`
      UPDATE users SET role = ${role},
        disabled_at = CASE WHEN ${disabled}::boolean THEN coalesce(disabled_at, now()) ELSE NULL END
      WHERE id = ${userId}
      RETURNING id, username, role, created_at, disabled_at, password_hash, oidc_subject`;
    if (disabled) {
      await tx.$executeRaw`UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId} AND revoked_at IS NULL`;
    }
    return { before, after: toAccount(updated!) };
  }, TX_OPTIONS);
}

/** How many enabled admins there are: the last one may not be demoted or disabled. */
export async function activeAdmins(db: Pick<Database, "sql">): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL",
  );
  return row?.n ?? 0;
}

/**
 * ADMIN_USER/ADMIN_PASSWORD at start: creates that admin, or resets its password and role when it
 * exists (the way back in for an operator who lost it). Returns what it did.
 */
export async function ensureAdmin(
  db: Pick<Database, "sql">,
  username: string,
  password: string,
): Promise<"created" | "updated" | "unchanged"> {
  const find = async () =>
    (await db.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]))[0];
  let row = await find();
  if (!row) {
    try {
      await createAccount(db, { username, password, role: "admin" });
      return "created";
    } catch (err) {
      // Replicas starting together on an empty database: another created it first; go on as if it existed.
      if (!(err instanceof AccountError && err.conflict)) throw err;
      row = await find();
      if (!row) throw err;
    }
  }
  const same = row.role === "admin" && row.disabled_at === null && (await verifyPassword(row.password_hash, password));
  if (same) return "unchanged";
  await db.sql.query("UPDATE users SET role = 'admin', disabled_at = NULL WHERE id = $1", [row.id]);
  if (!(await verifyPassword(row.password_hash, password))) await setPassword(db, row.id, password);
  return "updated";
}

/**
 * The account of an OpenID Connect subject, created on first sign-in with the role its claims map
 * to, and its role kept in step with them afterwards. A disabled account gets null.
 */
export async function singleSignOnAccount(
  db: Pick<Database, "sql">,
  input: { subject: string; username: string; role: Role },
): Promise<Account | null> {
  const [existing] = await db.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE oidc_subject = $1`, [
    input.subject,
  ]);
  if (existing) {
    if (existing.disabled_at !== null) return null;
    if (existing.role !== input.role) await setRole(db, existing.id, input.role);
    return { ...toAccount(existing), role: input.role };
  }
  // A taken name gets the subject appended: a local account is never taken over by a provider.
  for (const username of [input.username, `${input.username}-${input.subject}`.slice(0, 100)]) {
    const [row] = await db.sql.query<UserRow>(
      `INSERT INTO users (username, role, oidc_subject) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
      [username, input.role, input.subject],
    );
    if (row) return toAccount(row);
  }
  throw new AccountError("username", `no free user name for the single sign-on subject ${input.subject}`);
}
