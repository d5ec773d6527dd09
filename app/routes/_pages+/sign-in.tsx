import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { checkPassword } from "../../auth/accounts.server.js";
import { ssoFailureMessage } from "../../auth/oidc-claims.js";
import { createSession } from "../../auth/sessions.server.js";
import { CsrfField } from "../../components/CsrfField.js";
import { Field } from "../../components/Field.js";
import { Panel } from "../../components/Panel.js";
import { inputClass } from "../../components/styles.js";
import { audit } from "../../server/authorize.server.js";
import { safeNext, setSessionHeader } from "../../server/session-cookie.server.js";
import { readForm } from "./forms.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: sign in" }];

export function loader({ request, context }: LoaderFunctionArgs) {
  const search = new URL(request.url).searchParams;
  const next = safeNext(search.get("next"));
  // Nothing to sign in to with auth off, or when already signed in.
  if (context.authMode !== "on" || context.principal) throw redirect(next);
  // A failed single sign-on comes back with ?sso=<code> (a fixed message per code).
  return { next, singleSignOn: Boolean(context.singleSignOn), ssoError: ssoFailureMessage(search.get("sso")) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, context);
  if (!form) return data({ error: "The form could not be read: send it from this page." }, { status: 400 });
  const username = String(form.get("username") ?? "").slice(0, 100);
  const password = String(form.get("password") ?? "").slice(0, 1000);
  const next = safeNext(form.get("next"));
  const account = username && password ? await checkPassword(context.db, username, password) : null;
  if (!account) {
    context.log.warn({ user: username, ip: context.clientIp }, "auth: sign-in refused");
    return data({ error: "Wrong user name or password." }, { status: 401 });
  }
  const session = await createSession(context.db, {
    userId: account.id,
    ttlHours: context.config.SESSION_TTL_HOURS,
    ip: context.clientIp,
  });
  const principal = { kind: "user", id: String(account.id), name: account.username, role: account.role } as const;
  await audit({ ...context, principal }, "session.sign-in", `user ${account.username}`, { method: "password" });
  return redirect(next, {
    status: 303,
    headers: { "Set-Cookie": await setSessionHeader(context, request, session.token) },
  });
}

export default function SignIn() {
  const { next, singleSignOn, ssoError } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const submitting = useNavigation().state === "submitting";
  return (
    <div className="mx-auto max-w-md space-y-4">
      <h1 className="text-2xl font-semibold">Sign in</h1>
      {ssoError ? (
        <p role="alert" data-testid="sso-error" className="text-sm text-red-700 dark:text-red-400">
          {ssoError}
        </p>
      ) : null}
      <Panel id="sign-in-heading" title="With your storecast account">
        <Form method="post" className="space-y-3">
          <CsrfField />
          <input type="hidden" name="next" value={next} />
          <Field id="username" label="User name">
            <input id="username" name="username" autoComplete="username" required className={inputClass} />
          </Field>
          <Field id="password" label="Password">
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              className={inputClass}
            />
          </Field>
          {actionData?.error ? (
            <p role="alert" className="text-sm text-red-700 dark:text-red-400">
              {actionData.error}
            </p>
          ) : null}
          <button
            type="submit"
            disabled={submitting}
            className="rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white disabled:opacity-60"
          >
            {submitting ? "Signing in…" : "Sign in"}
          </button>
        </Form>
      </Panel>
      {singleSignOn ? (
        <p>
          <a
            className="text-blue-700 underline dark:text-blue-400"
            href={`/auth/oidc?${new URLSearchParams({ next })}`}
          >
            Sign in with single sign-on
          </a>
        </p>
      ) : null}
    </div>
  );
}
