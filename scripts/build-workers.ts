// Bundles the domain Workers with wrangler (exactly as `wrangler deploy` would) into
// .wrangler/test-build/<dir>/. Integration tests load them as prebuilt auxiliary Workers
// next to the gateway, and the benchmark runs the same bundles on bare workerd.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { ALL_WORKERS } from "./workers.ts";

export const BUILD_DIR = ".wrangler/test-build";

export function buildWorkers(dirs = ALL_WORKERS.map((w) => w.dir)): void {
	for (const worker of ALL_WORKERS.filter((w) => dirs.includes(w.dir))) {
		// Absolute: wrangler resolves a relative --outdir against the config file's folder.
		const outdir = resolve(BUILD_DIR, worker.dir);
		const run = spawnSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "-c", worker.config], {
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, WRANGLER_LOG: "warn", WRANGLER_SEND_METRICS: "false" },
			encoding: "utf8",
		});
		if (run.status !== 0) {
			throw new Error(`building ${worker.name} failed:\n${run.stdout}\n${run.stderr}`);
		}
	}
}

if (import.meta.main) {
	buildWorkers(process.argv.slice(2).length > 0 ? process.argv.slice(2) : undefined);
	console.log(`built ${ALL_WORKERS.length} Workers into ${BUILD_DIR}/`);
}
