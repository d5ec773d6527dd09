import { useRouteLoaderData } from "@remix-run/react";

/** The hidden CSRF token every page form posts (the root loader hands it out). */
export function CsrfField() {
  const root = useRouteLoaderData<{ csrf: string }>("root");
  return <input type="hidden" name="_csrf" value={root?.csrf ?? ""} />;
}
