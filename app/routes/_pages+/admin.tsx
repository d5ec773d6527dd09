import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import {
  activeAdmins,
  changeAccount,
  createAccount,
  listAccounts,
  MIN_PASSWORD,
  resetPassword,
} from "../../auth/accounts.server.js";
import { type Principal, ROLE_DUTIES, ROLES } from "../../auth/principal.js";
import { AdminNav } from "../../components/AdminNav.js";
import { Badge } from "../../components/Badge.js";
import { CsrfField } from "../../components/CsrfField.js";
import { formatDateTime } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { type FormOutcome, Outcome } from "../../components/FormOutcome.js";
import { Panel } from "../../components/Panel.js";
import { inputClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { formId, formRole, formText, refusalOf, refuse } from "./access-forms.server.js";
import { readForm } from "./forms.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: users" }];

const isSelf = (me: Principal, id: number) => me.kind === "user" && me.id === String(id);

/** Every account, with what may not be done to it (the last enabled admin). Admins only. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const me = requireRole(context, request, "admin");
  const [accounts, admins] = await Promise.all([listAccounts(context.db), activeAdmins(context.db)]);
  return {
    authOn: context.authMode === "on",
    minPassword: MIN_PASSWORD,
    users: accounts.map((a) => ({
      id: a.id,
      username: a.username,
      role: a.role,
      createdAt: a.createdAt.toISOString(),
      disabledAt: a.disabledAt?.toISOString() ?? null,
      singleSignOn: a.singleSignOn,
      you: isSelf(me, a.id),
      lastAdmin: admins === 1 && a.role === "admin" && a.disabledAt === null,
    })),
  };
}

type Context = ActionFunctionArgs["context"];
const ok = (intent: string, id: number | null, text: string): FormOutcome => ({ intent, id, ok: text });

async function createUser(context: Context, form: FormData) {
  const role = formRole(form);
  if (!role) return refuse({ intent: "create", id: null, field: "role", error: "Pick a role." });
  try {
    const account = await createAccount(context.db, {
      username: formText(form, "username", 101).trim(),
      password: formText(form, "password"),
      role,
    });
    await audit(context, "user.create", `user ${account.username}`, { id: account.id, role });
    return ok("create", null, `${account.username} can now sign in as ${role}.`);
  } catch (err) {
    return refusalOf(err, "create", null);
  }
}

async function changeUser(context: Context, form: FormData, intent: "role" | "disable" | "enable", id: number) {
  const role = formRole(form);
  if (intent === "role" && !role) return refuse({ intent, id, field: "role", error: "Pick a role." });
  let result: Awaited<ReturnType<typeof changeAccount>>;
  try {
    result = await changeAccount(
      context.db,
      id,
      intent === "role" ? { role: role! } : { disabled: intent === "disable" },
    );
  } catch (err) {
    return refusalOf(err, intent, id);
  }
  if (!result) return refuse({ intent, id, error: `There is no user ${id}.` }, 404);
  const { before, after } = result;
  const target = `user ${after.username}`;
  if (intent === "role") {
    if (before.role === after.role) return ok(intent, id, `${after.username} is a ${after.role} already.`);
    await audit(context, "user.role", target, { id, from: before.role, to: after.role });
    return ok(intent, id, `${after.username} is now a ${after.role}.`);
  }
  // Audited when it changed something (disabling a disabled user does not).
  if ((before.disabledAt === null) === (intent === "disable")) await audit(context, `user.${intent}`, target, { id });
  return ok(intent, id, `${after.username} is ${intent === "disable" ? "disabled and signed out" : "enabled"}.`);
}

async function resetUserPassword(context: Context, form: FormData, me: Principal, id: number) {
  try {
    // An admin resetting their own password stays signed in here, as with the account page.
    const keep = isSelf(me, id) ? (context.sessionId ?? undefined) : undefined;
    const account = await resetPassword(context.db, id, formText(form, "password"), keep);
    if (!account) return refuse({ intent: "password", id, error: `There is no user ${id}.` }, 404);
    await audit(context, "user.password-reset", `user ${account.username}`, { id });
    return ok("password", id, `${account.username}'s password is set; their sessions are signed out.`);
  } catch (err) {
    return refusalOf(err, "password", id);
  }
}

/** Create a user; change a role; disable or enable; reset a password. Every change is audited. */
export async function action({ request, context }: ActionFunctionArgs) {
  const me = requireRole(context, request, "admin");
  const form = await readForm(request, context);
  if (!form) return refuse({ intent: "form", id: null, error: "The form could not be read: send it from this page." });
  const intent = formText(form, "intent", 20);
  if (intent === "create") return createUser(context, form);
  if (intent !== "role" && intent !== "disable" && intent !== "enable" && intent !== "password") {
    return refuse({ intent: "form", id: null, error: `Unknown action "${intent}".` });
  }
  const id = formId(form);
  if (id === null) return refuse({ intent, id: null, field: "id", error: "Which user? The form names none." });
  return intent === "password" ? resetUserPassword(context, form, me, id) : changeUser(context, form, intent, id);
}

const buttonClass =
  "rounded-md border border-slate-300 px-2 py-1 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
const smallInput = `${inputClass} mt-0 px-2 py-1 text-sm`;

export default function Users() {
  const { users, authOn, minPassword } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() as FormOutcome | undefined;
  return (
    <div className="space-y-6">
      <AdminNav intro="Who may sign in, and with which role. The last enabled admin can be neither demoted nor disabled; every change here is in the audit log." />
      {authOn ? null : (
        <p className="text-sm text-amber-800 dark:text-amber-300">
          Auth is off: nobody signs in on this server. Accounts take effect once it runs with <code>AUTH=on</code>.
        </p>
      )}
      <Panel id="create-user-heading" title="Create a user">
        {/* A new key after each creation empties the form (with JavaScript it is not reloaded). */}
        <Form
          method="post"
          key={outcome?.intent === "create" && outcome.ok ? outcome.ok : "create"}
          className="flex flex-wrap items-end gap-3"
        >
          <CsrfField />
          <input type="hidden" name="intent" value="create" />
          <Field id="new-username" label="User name">
            <input id="new-username" name="username" required maxLength={100} className={inputClass} />
          </Field>
          <Field id="new-password" label={`Password (at least ${minPassword} characters)`}>
            <input
              id="new-password"
              name="password"
              type="password"
              autoComplete="new-password"
              minLength={minPassword}
              required
              className={inputClass}
            />
          </Field>
          <Field id="new-role" label="Role">
            <select id="new-role" name="role" defaultValue="viewer" className={inputClass}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}: {ROLE_DUTIES[r]}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800">
            Create user
          </button>
        </Form>
        <Outcome outcome={outcome} intent="create" />
        <Outcome outcome={outcome} intent="form" />
      </Panel>

      <section aria-labelledby="users-heading" className="space-y-3">
        <h2 id="users-heading" className="text-lg font-semibold">
          Users
        </h2>
        <TableFrame>
          <caption className="sr-only">Users: name, role, created, status, and what an admin may change</caption>
          <TableHead
            columns={[
              { label: "User" },
              { label: "Role" },
              { label: "Created" },
              { label: "Status" },
              { label: "Change" },
            ]}
          />
          <tbody data-testid="user-rows">
            {users.map((u) => (
              <tr
                key={u.id}
                data-user={u.username}
                className="border-t border-slate-100 align-top dark:border-slate-800"
              >
                <th scope="row" className="px-3 py-2 font-medium">
                  {u.username}
                  {u.you ? <span className="font-normal text-slate-500"> (you)</span> : null}
                  {u.singleSignOn ? (
                    <span className="block text-xs font-normal text-slate-500">single sign-on</span>
                  ) : null}
                </th>
                <td className="px-3 py-2" data-testid="role">
                  {u.role}
                </td>
                <td className="px-3 py-2 whitespace-nowrap tabular-nums">{formatDateTime(u.createdAt)}</td>
                <td className="px-3 py-2">
                  {u.disabledAt ? (
                    <Badge tone="grey">disabled {formatDateTime(u.disabledAt)}</Badge>
                  ) : (
                    <Badge tone="green">enabled</Badge>
                  )}
                  {u.lastAdmin ? <span className="block text-xs text-slate-500">the last enabled admin</span> : null}
                </td>
                <td className="space-y-2 px-3 py-2">
                  <Form method="post" className="flex flex-wrap items-center gap-2">
                    <CsrfField />
                    <input type="hidden" name="intent" value="role" />
                    <input type="hidden" name="id" value={u.id} />
                    <label htmlFor={`role-${u.id}`} className="sr-only">
                      Role of {u.username}
                    </label>
                    <select key={u.role} id={`role-${u.id}`} name="role" defaultValue={u.role} className={smallInput}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                    <button type="submit" className={buttonClass}>
                      Change role
                    </button>
                  </Form>
                  <Outcome outcome={outcome} intent="role" id={u.id} />
                  <Form method="post">
                    <CsrfField />
                    <input type="hidden" name="intent" value={u.disabledAt ? "enable" : "disable"} />
                    <input type="hidden" name="id" value={u.id} />
                    <button type="submit" className={buttonClass}>
                      {u.disabledAt ? "Enable" : "Disable"} {u.username}
                    </button>
                  </Form>
                  <Outcome outcome={outcome} intent="disable" id={u.id} />
                  <Outcome outcome={outcome} intent="enable" id={u.id} />
                  {u.singleSignOn ? null : (
                    <details open={outcome?.intent === "password" && outcome.id === u.id}>
                      <summary className="cursor-pointer text-sm">Reset password</summary>
                      <Form method="post" className="mt-2 flex flex-wrap items-center gap-2">
                        <CsrfField />
                        <input type="hidden" name="intent" value="password" />
                        <input type="hidden" name="id" value={u.id} />
                        <label htmlFor={`password-${u.id}`} className="sr-only">
                          New password for {u.username}
                        </label>
                        <input
                          id={`password-${u.id}`}
                          name="password"
                          type="password"
                          autoComplete="new-password"
                          minLength={minPassword}
                          required
                          placeholder="new password"
                          className={smallInput}
                        />
                        <button type="submit" className={buttonClass}>
                          Set password
                        </button>
                      </Form>
                    </details>
                  )}
                  <Outcome outcome={outcome} intent="password" id={u.id} />
                </td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      </section>
    </div>
  );
}
