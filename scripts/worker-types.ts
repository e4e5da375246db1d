// Generates each Worker's `Env` with `wrangler types` (bindings only; runtime types come
// from @cloudflare/workers-types). `--check` fails when a checked-in file is stale, which CI runs.
import { spawnSync } from "node:child_process";
import { existsSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { ALL_WORKERS, DOMAIN_WORKERS, GATEWAY } from "./workers.ts";

const check = process.argv.includes("--check");

// wrangler types also types whatever a Worker's .dev.vars holds, and `npm start` writes
// local secrets there; CI has none. Move them aside while generating so the checked-in
// types are the same everywhere (secrets are declared by hand in each src/env.d.ts).
const devVars = ALL_WORKERS.map((w) => join(dirname(w.config), ".dev.vars")).filter((p) => existsSync(p));
for (const p of devVars) renameSync(p, `${p}.types-aside`);
process.on("exit", () => {
	for (const p of devVars) renameSync(`${p}.types-aside`, p);
});
let failed = false;

for (const worker of ALL_WORKERS) {
	// The gateway is generated with every domain config (and a Worker with those it calls) so
	// its service bindings are typed with the target Worker's RPC methods.
	const configs =
		worker === GATEWAY ? [GATEWAY, ...DOMAIN_WORKERS] : [worker, ...DOMAIN_WORKERS.filter((w) => worker.calls?.includes(w.dir))];
	const out = `workers/${worker.dir}/worker-configuration.d.ts`;
	const args = [
		"types",
		out,
		...configs.flatMap((c) => ["-c", c.config]),
		"--include-runtime=false",
		"--strict-vars=false",
		"--env-interface",
		worker.envInterface,
	];
	if (check) args.push("--check");
	const run = spawnSync("wrangler", args, { stdio: check ? "pipe" : "inherit", encoding: "utf8" });
	if (run.status !== 0) {
		failed = true;
		console.error(
			`${out}: ${check ? "stale — run `npm run types`" : "generation failed"}\n${run.stdout ?? ""}${run.stderr ?? ""}`,
		);
	} else if (check) {
		console.log(`${out}: up to date`);
	}
}
process.exit(failed ? 1 : 0);
