import { vitePlugin as remix } from "@remix-run/dev";
import tailwindcss from "@tailwindcss/vite";
import { flatRoutes } from "remix-flat-routes";
import { defineConfig } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    tailwindcss(),
    remix({
      // Routes live in groups (app/routes/_seed+, _api+, _pages+, _ops+), each with its route-local
      // *.server.ts modules: remix-flat-routes' folders, see docs/decisions/0013.
      ignoredRouteFiles: ["**/*"],
      routes: async (defineRoutes) =>
        flatRoutes("routes", defineRoutes, {
          ignoredRouteFiles: ["**/.*", "**/*.test.*", "**/*.server.*", "**/*.md", "**/*.css"],
        }),
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
  // Server-only packages stay external to the SSR bundle; the server entry provides them.
  ssr: { external: ["@electric-sql/pglite", "pg", "@prisma/client"] },
});
