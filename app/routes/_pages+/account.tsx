import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { changePassword, findAccount, MIN_PASSWORD } from "../../auth/accounts.server.js";
import { ROLE_DUTIES, ROLES, roleAllows } from "../../auth/principal.js";
import { CsrfField } from "../../components/CsrfField.js";
import { formatDateTime } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { type FormOutcome, Outcome } from "../../components/FormOutcome.js";
import { Panel } from "../../components/Panel.js";
import { inputClass } from "../../components/styles.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { formText, refusalOf, refuse } from "./access-forms.server.js";
import { readForm } from "./forms.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: your account" }];

const dutiesOf = (role: (typeof ROLES)[number]) => ROLES.filter((r) => roleAllows(role, r)).map((r) => ROLE_DUTIES[r]);

/** Who you are and what your role allows; your password. With auth off there is nobody to be. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (context.authMode !== "on") return { auth: "off" as const };
  const principal = requireRole(context, request, "viewer");
  const base = {
    auth: "on" as const,
    name: principal.name,
    role: principal.role,
    duties: dutiesOf(principal.role),
    minPassword: MIN_PASSWORD,
  };
  if (principal.kind !== "user") return { ...base, kind: "token" as const };
  const account = await findAccount(context.db, Number(principal.id));
  return {
    ...base,
    kind: "user" as const,
    createdAt: account?.createdAt.toISOString() ?? null,
    singleSignOn: account?.singleSignOn ?? false,
  };
}

/** Your own password change: the current password, the new one twice; your other sessions end. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, context);
  const intent = "password";
  if (!form) return refuse({ intent, id: null, error: "The form could not be read: send it from this page." });
  if (context.authMode !== "on") {
    return refuse({ intent, id: null, error: "Auth is off: there are no accounts and no passwords." });
  }
  const principal = requireRole(context, request, "viewer");
  if (principal.kind !== "user") {
    return refuse({ intent, id: null, error: "An API token has no password: an admin revokes it instead." });
  }
  const password = formText(form, "password");
  if (password !== formText(form, "confirm")) {
    return refuse({ intent, id: null, field: "confirm", error: "The new password and its repetition differ." });
  }
  try {
    await changePassword(context.db, {
      userId: Number(principal.id),
      current: formText(form, "current"),
      password,
      keepSession: context.sessionId ?? undefined,
    });
  } catch (err) {
    if ((err as { field?: unknown }).field === "current") {
      context.log.warn({ user: principal.name, ip: context.clientIp }, "auth: password change refused");
    }
    return refusalOf(err, intent, null);
  }
  await audit(context, "user.password", `user ${principal.name}`, { by: "self" });
  return { intent, id: null, ok: "Your password is changed. Your other sessions are signed out." } as FormOutcome;
}

export default function Account() {
  const data = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() as FormOutcome | undefined;
  const submitting = useNavigation().state === "submitting";
  if (data.auth === "off") {
    return (
      <section aria-labelledby="account-heading" className="space-y-3">
        <h1 id="account-heading" className="text-2xl font-semibold">
          Your account
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300" data-testid="auth-off">
          Auth is off: this server listens on a loopback address only, nobody signs in, and whoever reaches it may do
          everything. There are no accounts or passwords to manage. Start it with <code>AUTH=on</code> and{" "}
          <code>ADMIN_PASSWORD</code> (see the README's Security section) to use accounts, roles and API tokens.
        </p>
      </section>
    );
  }
  return (
    <div className="max-w-3xl space-y-6">
      <h1 className="text-2xl font-semibold">Your account</h1>
      <Panel id="who-heading" title="Who you are">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm" data-testid="who">
          <dt className="font-medium">{data.kind === "user" ? "User name" : "API token"}</dt>
          <dd>{data.name}</dd>
          <dt className="font-medium">Role</dt>
          <dd>
            {data.role}: {data.duties.join("; ")}
          </dd>
          {data.kind === "user" ? (
            <>
              <dt className="font-medium">Signs in with</dt>
              <dd>{data.singleSignOn ? "single sign-on" : "a password"}</dd>
              <dt className="font-medium">Account created</dt>
              <dd>{formatDateTime(data.createdAt)}</dd>
            </>
          ) : null}
        </dl>
      </Panel>
      {data.kind === "user" && !data.singleSignOn ? (
        <Panel id="password-heading" title="Change your password">
          <p className="text-sm text-slate-600 dark:text-slate-300">
            At least {data.minPassword} characters. This browser stays signed in; every other session of your account is
            signed out.
          </p>
          <Form method="post" className="space-y-3">
            <CsrfField />
            <Field id="current" label="Current password">
              <input
                id="current"
                name="current"
                type="password"
                autoComplete="current-password"
                required
                className={inputClass}
              />
            </Field>
            <Field id="password" label="New password">
              <input
                id="password"
                name="password"
                type="password"
                autoComplete="new-password"
                minLength={data.minPassword}
                required
                className={inputClass}
              />
            </Field>
            <Field id="confirm" label="New password again">
              <input
                id="confirm"
                name="confirm"
                type="password"
                autoComplete="new-password"
                minLength={data.minPassword}
                required
                className={inputClass}
              />
            </Field>
            <Outcome outcome={outcome} intent="password" />
            <button
              type="submit"
              disabled={submitting}
              className="rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white disabled:opacity-60"
            >
              {submitting ? "Changing…" : "Change password"}
            </button>
          </Form>
        </Panel>
      ) : null}
    </div>
  );
}
