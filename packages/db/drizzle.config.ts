import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here; migrations are applied by `npm run db:migrate`
// over the same Neon HTTP protocol the Workers use (see src/migrate.ts).
export default defineConfig({
	dialect: "postgresql",
	schema: "./packages/db/src/schema/index.ts",
	out: "./migrations",
});
