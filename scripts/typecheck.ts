// Type-checks the root (scripts, bench, config) and every workspace with its own tsconfig.
import { spawnSync } from "node:child_process";
import { globSync } from "node:fs";

const projects = ["tsconfig.json", ...globSync("{packages,workers}/*/tsconfig.json").sort()];
let failed = 0;
for (const project of projects) {
	const run = spawnSync("tsc", ["-p", project], { stdio: "inherit" });
	if (run.status !== 0) failed++;
	else console.log(`ok  ${project}`);
}
if (failed > 0) {
	console.error(`${failed} project(s) failed to type-check`);
	process.exit(1);
}
