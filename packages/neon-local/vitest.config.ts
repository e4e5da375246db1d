import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		// Pin the root so the suite finds its files whether vitest runs from the repo root or here.
		root: fileURLToPath(new URL(".", import.meta.url)),
		include: ["test/**/*.test.ts"],
		environment: "node",
		// PGlite boots a WASM Postgres per database; a cold initdb takes a few seconds.
		testTimeout: 30_000,
		hookTimeout: 60_000,
	},
});
