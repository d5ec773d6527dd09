/**
 * The patched route matching (patches/@remix-run+router+*.patch, ADR 38): every request is matched
 * against the same routes, so their flattened, ranked branches and compiled patterns are kept. The
 * answers must be the router's own, on the first match and on every later one.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const routerPath = require.resolve("@remix-run/router");
const router = require("@remix-run/router") as typeof import("@remix-run/router");

const routes = [
  {
    id: "root",
    path: "/",
    children: [
      { id: "index", index: true },
      { id: "stores", path: "stores" },
      { id: "store", path: "stores/:store" },
      { id: "version", path: "models/:store/:product/versions/:version" },
      { id: "compare", path: "models/:store/:product/compare" },
      { id: "forecast", path: "api/forecasts/:store/:product" },
      { id: "optional", path: "docs/:page?" },
      { id: "splat", path: "files/*" },
    ],
  },
];

const ids = (path: string) => router.matchRoutes(routes, path)?.map((m) => [m.route.id, m.params]) ?? null;

describe("route matching, patched to keep the routes' branches", () => {
  it("the install applied the patch (a failed patch would silently bring back the per-request cost)", () => {
    const source = readFileSync(routerPath, "utf8");
    expect(source).toContain("rankedBranchesCache");
    expect(source).toContain("matchesCache");
  });

  it("answers as the router does, the first time and every time after", () => {
    const cases: [string, unknown][] = [
      [
        "/",
        [
          ["root", {}],
          ["index", {}],
        ],
      ],
      [
        "/stores",
        [
          ["root", {}],
          ["stores", {}],
        ],
      ],
      [
        "/stores/12",
        [
          ["root", { store: "12" }],
          ["store", { store: "12" }],
        ],
      ],
      [
        "/api/forecasts/7/product_A",
        [
          ["root", { store: "7", product: "product_A" }],
          ["forecast", { store: "7", product: "product_A" }],
        ],
      ],
      [
        "/models/1/product_A/versions/3",
        [
          ["root", { store: "1", product: "product_A", version: "3" }],
          ["version", { store: "1", product: "product_A", version: "3" }],
        ],
      ],
      [
        "/models/1/product_A/compare",
        [
          ["root", { store: "1", product: "product_A" }],
          ["compare", { store: "1", product: "product_A" }],
        ],
      ],
      [
        "/docs",
        [
          ["root", {}],
          ["optional", {}],
        ],
      ],
      [
        "/docs/intro",
        [
          ["root", { page: "intro" }],
          ["optional", { page: "intro" }],
        ],
      ],
      [
        "/files/a/b.txt",
        [
          ["root", { "*": "a/b.txt" }],
          ["splat", { "*": "a/b.txt" }],
        ],
      ],
      [
        "/STORES/5",
        [
          ["root", { store: "5" }],
          ["store", { store: "5" }],
        ],
      ],
      ["/nowhere/at/all", null],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [path, want] of cases) expect(ids(path), `${path}, round ${round}`).toEqual(want);
    }
  });

  it("hands out each answer as a copy: a caller changing its params changes no later answer", () => {
    const first = router.matchRoutes(routes, "/stores/12")!;
    // As the router builds them: one params object shared by every match of an answer.
    expect(first[0]!.params).toBe(first[1]!.params);
    (first[1]!.params as Record<string, string>).store = "changed";
    first.pop();
    expect(ids("/stores/12")).toEqual([
      ["root", { store: "12" }],
      ["store", { store: "12" }],
    ]);
  });

  it("stays right past the bound of kept answers (5,000 paths)", () => {
    for (let store = 1; store <= 6_000; store++) {
      expect(router.matchRoutes(routes, `/stores/${store}`)?.at(-1)?.params).toEqual({ store: String(store) });
    }
    expect(ids("/stores/1")?.at(-1)).toEqual(["store", { store: "1" }]);
    expect(ids("/nowhere/at/all")).toBeNull();
  });

  it("keeps routes apart: another routes array is matched against its own branches", () => {
    expect(ids("/stores/3")?.at(-1)?.[0]).toBe("store");
    const other = [{ id: "only", path: "/stores/:id" }];
    expect(router.matchRoutes(other, "/stores/3")?.map((m) => m.route.id)).toEqual(["only"]);
    expect(router.matchRoutes(other, "/stores")).toBeNull();
    expect(ids("/stores")?.at(-1)?.[0]).toBe("stores");
  });
});
