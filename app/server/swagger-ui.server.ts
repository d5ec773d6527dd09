/**
 * Swagger UI for the OpenAPI documents (/api/docs, /api/forecasters/docs, /api/trainers/docs),
 * working offline: its script and stylesheet come from the swagger-ui-dist package, served by the app
 * under SWAGGER_UI_ASSETS (server.ts mounts them), never from a CDN. See docs/decisions/0018.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { RequestHandler } from "express";
import express from "express";

/** Where server.ts serves the package's files. */
export const SWAGGER_UI_ASSETS = "/api/docs/assets";

/**
 * Starts Swagger UI with the options the page carries as JSON: a file, not an inline script, so the
 * Content-Security-Policy needs no nonce or 'unsafe-inline' for it.
 */
const INIT_FILE = "/storecast-init.js";
const INIT_SCRIPT = `const options = JSON.parse(document.getElementById("swagger-ui-options").textContent);
window.ui = SwaggerUIBundle({ ...options, presets: [SwaggerUIBundle.presets.apis] });
`;

/** The files the page loads; the package's other files (its petstore demo page, ...) are not served. */
const SERVED = /^\/(swagger-ui\.css|swagger-ui-bundle\.js|favicon-32x32\.png)(\.map)?$/;

let dist: { dir: string; version: string } | undefined;

/** The package's folder and version, read once. */
function swaggerUiDist(): { dir: string; version: string } {
  if (!dist) {
    const manifest = createRequire(import.meta.url).resolve("swagger-ui-dist/package.json");
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    dist = { dir: path.dirname(manifest), version };
  }
  return dist;
}

/**
 * Serves the page's assets for a year: their URLs carry the package version (`?v=5.36.0`), so an
 * upgrade is a new URL. `setHeaders` lets server.ts label them for the HTTP metrics.
 */
export function swaggerUiAssets(setHeaders: (res: express.Response) => void): RequestHandler {
  const files = express.static(swaggerUiDist().dir, {
    immutable: true,
    maxAge: "1y",
    index: false,
    setHeaders,
  });
  return (req, res, next) => {
    if (req.path === INIT_FILE) {
      setHeaders(res);
      res.type("text/javascript").setHeader("Cache-Control", "public, max-age=300");
      res.send(INIT_SCRIPT);
      return;
    }
    return SERVED.test(req.path) ? files(req, res, next) : next();
  };
}

/** `<` escaped, so a value cannot close the inline script. */
const scriptValue = (value: unknown) => JSON.stringify(value).replaceAll("<", "\\u003c");

const htmlText = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The Swagger UI page of the document at `documentUrl` (a path on this server). */
export function swaggerUiPage(title: string, documentUrl: string): Response {
  const v = `?v=${encodeURIComponent(swaggerUiDist().version)}`;
  const options = {
    url: documentUrl,
    dom_id: "#swagger-ui",
    // Not the Swagger Standalone layout and its top bar: one document per page.
    layout: "BaseLayout",
    deepLinking: true,
    // The default posts the document to validator.swagger.io for a badge: no request leaves the app.
    validatorUrl: null,
  };
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(title)}</title>
<link rel="stylesheet" href="${SWAGGER_UI_ASSETS}/swagger-ui.css${v}">
<link rel="icon" type="image/png" href="${SWAGGER_UI_ASSETS}/favicon-32x32.png${v}">
</head>
<body>
<noscript><p>Swagger UI needs JavaScript. The document itself: <a href="${htmlText(documentUrl)}">${htmlText(documentUrl)}</a></p></noscript>
<div id="swagger-ui"></div>
<script src="${SWAGGER_UI_ASSETS}/swagger-ui-bundle.js${v}"></script>
<script id="swagger-ui-options" type="application/json">${scriptValue(options)}</script>
<script src="${SWAGGER_UI_ASSETS}${INIT_FILE}${v}"></script>
</body>
</html>
`;
  return new Response(html, {
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300" },
  });
}
