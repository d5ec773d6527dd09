import {
  type ActionFunctionArgs,
  data,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ROLE_DUTIES, ROLES } from "../../auth/principal.js";
import { createApiToken, creatorOf, findApiToken, listApiTokens, revokeApiToken } from "../../auth/tokens.server.js";
import { AdminNav } from "../../components/AdminNav.js";
import { Badge } from "../../components/Badge.js";
import { CsrfField } from "../../components/CsrfField.js";
import { formatDateTime } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { type FormOutcome, Outcome } from "../../components/FormOutcome.js";
import { Panel } from "../../components/Panel.js";
import { SecretOnce } from "../../components/SecretOnce.js";
import { inputClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { formId, formRole, formText, refusalOf, refuse } from "./access-forms.server.js";
import { readForm } from "./forms.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: API tokens" }];

/** A new token's secret is on this page once: no cache (browser or proxy) may keep a copy. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

/** Every API token (never a secret: only its first characters). Admins only. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireRole(context, request, "admin");
  const tokens = await listApiTokens(context.db);
  return {
    tokens: tokens.map((t) => ({
      ...t,
      createdAt: t.createdAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      revokedAt: t.revokedAt?.toISOString() ?? null,
    })),
  };
}

interface Created {
  token: string;
  name: string;
  role: string;
  /** Where the API is, as this request reached it (for the example). */
  origin: string;
}

type TokenOutcome = FormOutcome & { created?: Created };

/** Create a token (its secret is in this answer only) or revoke one. Both are audited. */
export async function action({ request, context }: ActionFunctionArgs) {
  const me = requireRole(context, request, "admin");
  const form = await readForm(request, context);
  if (!form) return refuse({ intent: "form", id: null, error: "The form could not be read: send it from this page." });
  const intent = formText(form, "intent", 20);
  if (intent === "create") {
    const role = formRole(form);
    if (!role) return refuse({ intent, id: null, field: "role", error: "Pick a role." });
    try {
      const { token, info } = await createApiToken(context.db, {
        name: formText(form, "name"),
        role,
        createdBy: creatorOf(me),
      });
      await audit(context, "token.create", `token ${info.name}`, { id: info.id, role, prefix: info.prefix });
      const created: Created = { token, name: info.name, role, origin: new URL(request.url).origin };
      // The secret is in this page only: no cache keeps it.
      return data<TokenOutcome>(
        { intent, id: null, ok: `Token ${info.name} created.`, created },
        { headers: { "Cache-Control": "no-store" } },
      );
    } catch (err) {
      return refusalOf(err, intent, null);
    }
  }
  if (intent !== "revoke") return refuse({ intent: "form", id: null, error: `Unknown action "${intent}".` });
  const id = formId(form);
  if (id === null) return refuse({ intent, id: null, field: "id", error: "Which token? The form names none." });
  const revoked = await revokeApiToken(context.db, id);
  if (!revoked) {
    const token = await findApiToken(context.db, id);
    return token
      ? refuse({ intent, id, error: `Token ${token.name} is revoked already.` }, 409)
      : refuse({ intent, id, error: `There is no token ${id}.` }, 404);
  }
  await audit(context, "token.revoke", `token ${revoked.name}`, { id, role: revoked.role, prefix: revoked.prefix });
  return data<TokenOutcome>({ intent, id, ok: `Token ${revoked.name} is revoked: it no longer works.` });
}

const buttonClass =
  "rounded-md border border-slate-300 px-2 py-1 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";

export default function Tokens() {
  const { tokens } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() as TokenOutcome | undefined;
  const created = outcome?.created;
  return (
    <div className="space-y-6">
      <AdminNav
        intro={
          <>
            API tokens let machines (the DAGs, scripts, Prometheus) call the API with a role: each request sends{" "}
            <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, when it is created; storecast keeps
            only its hash.
          </>
        }
      />
      {created ? (
        <Panel id="created-heading" title={`New token: ${created.name} (${created.role})`} data-testid="created">
          <p className="text-sm font-medium text-amber-800 dark:text-amber-300">
            Copy it now: storecast does not keep it and will never show it again. If it is lost, revoke it and create
            another.
          </p>
          <SecretOnce id="new-token" label="Token" secret={created.token} />
          <p className="text-sm text-slate-600 dark:text-slate-300">Send it with every request, for example:</p>
          <pre className="overflow-x-auto rounded-md bg-slate-100 p-3 text-xs dark:bg-slate-800">
            curl -H "Authorization: Bearer {created.token}" {created.origin}/api/stores
          </pre>
        </Panel>
      ) : null}

      <Panel id="create-token-heading" title="Create a token">
        {/* A new key after each creation empties the form (with JavaScript it is not reloaded). */}
        <Form method="post" key={created?.token ?? "create"} className="flex flex-wrap items-end gap-3">
          <CsrfField />
          <input type="hidden" name="intent" value="create" />
          <Field id="token-name" label="What it is for">
            <input id="token-name" name="name" required maxLength={100} placeholder="airflow" className={inputClass} />
          </Field>
          <Field id="token-role" label="Role">
            <select id="token-role" name="role" defaultValue="viewer" className={inputClass}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}: {ROLE_DUTIES[r]}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800">
            Create token
          </button>
        </Form>
        {created ? null : <Outcome outcome={outcome} intent="create" />}
        <Outcome outcome={outcome} intent="form" />
      </Panel>

      <section aria-labelledby="tokens-heading" className="space-y-3">
        <h2 id="tokens-heading" className="text-lg font-semibold">
          Tokens
        </h2>
        {tokens.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">No API token yet.</p>
        ) : (
          <TableFrame>
            <caption className="sr-only">
              API tokens, newest first: name, first characters, role, creator, created, last used, revoked
            </caption>
            <TableHead
              columns={[
                { label: "Name" },
                { label: "Starts with" },
                { label: "Role" },
                { label: "Created by" },
                { label: "Created" },
                { label: "Last used" },
                { label: "Status" },
              ]}
            />
            <tbody data-testid="token-rows">
              {tokens.map((t) => (
                <tr key={t.id} data-token={t.id} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <th scope="row" className="px-3 py-2 font-medium break-all">
                    {t.name}
                  </th>
                  <td className="px-3 py-2 font-mono text-xs">{t.prefix}…</td>
                  <td className="px-3 py-2">{t.role}</td>
                  <td className="px-3 py-2 break-all">{t.createdBy}</td>
                  <td className="px-3 py-2 whitespace-nowrap tabular-nums">{formatDateTime(t.createdAt)}</td>
                  <td className="px-3 py-2 whitespace-nowrap tabular-nums">
                    {t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "never"}
                  </td>
                  <td className="space-y-1 px-3 py-2">
                    {t.revokedAt ? (
                      <Badge tone="grey">revoked {formatDateTime(t.revokedAt)}</Badge>
                    ) : (
                      <Form method="post">
                        <CsrfField />
                        <input type="hidden" name="intent" value="revoke" />
                        <input type="hidden" name="id" value={t.id} />
                        <button type="submit" className={buttonClass}>
                          Revoke {t.name}
                        </button>
                      </Form>
                    )}
                    <Outcome outcome={outcome} intent="revoke" id={t.id} />
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
      </section>
    </div>
  );
}
