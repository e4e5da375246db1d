// Which test files run where, and which database each integration file gets. Shared by
// vitest.config.ts (to build one Workers project per file) and scripts/test.ts (to create
// those databases before Vitest starts).
import { globSync, readFileSync } from "node:fs";
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

/**
 * Files that change a provider sandbox's shared state (failure rules, a reset) or read its
 * global request log by position. The sandboxes are one per `npm test` run, so such a file
 * would fail another file's requests, or count them: these run one at a time, after the rest.
 * Read from the file itself, so a new test that injects a failure is never run beside others.
 */
const SHARED_SANDBOX_STATE = /\b(?:injectFailure|resetSandbox|listRequests)\(/;

export function changesSharedSandbox(file: string): boolean {
	return SHARED_SANDBOX_STATE.test(readFileSync(file, "utf8"));
}

/**
 * Integration files at once, apart from those. Vitest's default on two cores is one: files spend
 * much of their time waiting (queue batch windows, polling for what a consumer did), and with
 * one at a time half the machine sat idle through the PostgreSQL run. Each file has its own
 * database and its own workerd, so two share nothing but the sandboxes. OJA_TEST_PARALLEL_FILES=1
 * runs them one at a time again (to chase a test that fails only beside another).
 */
export const PARALLEL_FILES = Math.max(1, Number(process.env.OJA_TEST_PARALLEL_FILES) || 2);
