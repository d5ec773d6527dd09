import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useNavigation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { csrfToken } from "./auth/csrf.server.js";
import { roleAllows } from "./auth/principal.js";
import { CsrfField } from "./components/CsrfField.js";
import { useNonce } from "./components/nonce.js";
import stylesheet from "./tailwind.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  // No icon file: an empty one keeps browsers from asking for /favicon.ico (a 404 in every log).
  { rel: "icon", href: "data:," },
];

export const meta: MetaFunction = ({ error }) => [{ title: error ? "storecast: error" : "storecast" }];

/** Every page's shell data: who is signed in, and the CSRF token its forms carry. */
export function loader({ context }: LoaderFunctionArgs) {
  const principal = context.principal ?? null;
  return {
    csrf: context.signingKey ? csrfToken(context.signingKey, context.sessionId) : "",
    auth: context.authMode ?? "off",
    user: principal && principal.kind !== "open" ? { name: principal.name, role: principal.role } : null,
    role: principal?.role ?? null,
  };
}

type RootData = ReturnType<typeof loader>;

/** Who is signed in, with their pages and the sign-out button (nothing when auth is off). */
function Account() {
  const root = useRouteLoaderData<RootData>("root");
  if (!root?.user) return null;
  const { user } = root;
  return (
    <div className="ml-auto flex flex-wrap items-center gap-3 text-sm">
      <Link to="/account" className="text-slate-700 underline-offset-2 hover:underline dark:text-slate-300">
        {user.name} <span className="text-slate-500">({user.role})</span>
      </Link>
      <form method="post" action="/sign-out">
        <CsrfField />
        <button type="submit" className="rounded-md border border-slate-300 px-2 py-1 dark:border-slate-600">
          Sign out
        </button>
      </form>
    </div>
  );
}

const NAV = [
  { to: "/", label: "Overview", end: true },
  { to: "/stores", label: "Stores", end: false },
  { to: "/models", label: "Models", end: false },
  { to: "/pipelines", label: "Pipelines", end: false },
  { to: "/schedules", label: "Schedules", end: false },
  { to: "/accuracy", label: "Accuracy", end: false },
  { to: "/stream", label: "Stream", end: false },
  { to: "/rejects", label: "Rejects", end: false },
  { to: "/audit", label: "Audit", end: false, role: "operator" },
  { to: "/admin", label: "Admin", end: false, role: "admin" },
] as const;

function navClass({ isActive }: { isActive: boolean }): string {
  return [
    "rounded-md px-3 py-2 text-sm font-medium whitespace-nowrap focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600",
    isActive
      ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900"
      : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
  ].join(" ");
}

/** A thin bar while a page loads (with JavaScript); the main region says it is busy. */
function LoadingBar() {
  const navigation = useNavigation();
  if (navigation.state === "idle") return null;
  return (
    <div aria-hidden="true" className="fixed inset-x-0 top-0 z-50 h-1 overflow-hidden bg-blue-100 dark:bg-blue-950">
      <div className="h-full w-1/3 animate-pulse bg-blue-600 dark:bg-blue-400" />
    </div>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const navigation = useNavigation();
  const role = useRouteLoaderData<RootData>("root")?.role ?? null;
  const nav = NAV.filter((item) => !("role" in item) || (role !== null && roleAllows(role, item.role)));
  return (
    <>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
      >
        Skip to content
      </a>
      <LoadingBar />
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link to="/" className="text-lg font-semibold tracking-tight">
            storecast
          </Link>
          <nav aria-label="Main" className="-mx-1 overflow-x-auto">
            <ul className="flex gap-1">
              {nav.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.end} prefetch="intent" className={navClass}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <Account />
        </div>
      </header>
      <main
        id="main"
        aria-busy={navigation.state === "loading" || undefined}
        className="mx-auto max-w-6xl px-4 py-6 transition-opacity aria-busy:opacity-70"
      >
        {children}
      </main>
    </>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  // The Content-Security-Policy runs Remix's inline scripts only with this response's nonce.
  const nonce = useNonce();
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-full bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <Shell>{children}</Shell>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

/** The real error page: 404s say what is missing, anything else says sorry (details go to the log). */
export function ErrorBoundary() {
  const error = useRouteError();
  const response = isRouteErrorResponse(error) ? error : null;
  const notFound = response?.status === 404;
  const detail =
    response && typeof response.data === "string" && response.data.trim() !== "" && response.data.length < 500
      ? response.data
      : null;
  const title = notFound
    ? "Page not found"
    : response
      ? `${response.status} ${response.statusText}`
      : "Something went wrong";
  return (
    <section className="space-y-3" aria-labelledby="error-heading">
      <h1 id="error-heading" className="text-2xl font-semibold">
        {title}
      </h1>
      <p className="text-slate-600 dark:text-slate-300">
        {detail ??
          (notFound
            ? "There is no page at this address."
            : "The server could not complete this request. It has been logged; try again in a moment.")}
      </p>
      <p className="flex gap-4">
        <Link to="/" className="text-blue-700 underline dark:text-blue-400">
          Back to the overview
        </Link>
        <Link to="/stores" className="text-blue-700 underline dark:text-blue-400">
          All stores
        </Link>
      </p>
    </section>
  );
}
