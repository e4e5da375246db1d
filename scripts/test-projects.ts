// Which test files run where, and which database each integration file gets. Shared by
// vitest.config.ts (to build one Workers project per file) and scripts/test.ts (to create
// those databases before Vitest starts).
import { globSync } from "node:fs";
import { basename } from "node:path";

/** Integration tests: run inside workerd, through the gateway, one database per file. */
export const INTEGRATION_GLOB = "workers/*/test/**/*.test.ts";
/** Unit and Node-side tests (pure logic, the neon-local endpoint). */
export const UNIT_GLOB = "packages/*/test/**/*.test.ts";

export const TEMPLATE_DATABASE = "oja_template";

export function integrationFiles(): string[] {
	return globSync(INTEGRATION_GLOB).sort();
}

/** A stable per-file database name, so files never share state and can run in parallel. */
export function databaseFor(file: string): string {
	const worker = file.split("/")[1] ?? "x";
	const name = `${worker}_${basename(file, ".test.ts")}`.toLowerCase().replace(/[^a-z0-9]+/g, "_");
	return `oja_t_${name}`.slice(0, 63);
}
