import { defineConfig } from "prisma/config";

// Used by the Prisma CLI only (generate; migrate where its engine is available).
// The app applies prisma/migrations itself: see docs/decisions/0001-sql-migrations-applied-by-the-app.md.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/storecast" },
});
