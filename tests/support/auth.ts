/** Signing in from tests: the sign-in form's CSRF token, its POST, the session cookie. */

/** The CSRF token a page's forms carry. */
export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("no CSRF token in the page");
  return token;
}

/** The `name=value` of a Set-Cookie header (what a browser sends back). */
export function cookieOf(res: Response): string {
  const header = res.headers.get("set-cookie") ?? "";
  return header.split(";")[0] ?? "";
}

/** Signs in through the sign-in page; the session cookie to send as `Cookie`. */
export async function signIn(url: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${url}/sign-in`);
  const html = await page.text();
  const res = await fetch(`${url}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: url },
    body: new URLSearchParams({ _csrf: csrfOf(html), username, password }),
  });
  if (res.status !== 303) throw new Error(`sign-in as ${username}: HTTP ${res.status}`);
  return cookieOf(res);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
