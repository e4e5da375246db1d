// Type-checks the root (scripts, bench, config) and every workspace with its own tsconfig, as
// many projects at once as the machine has cores (each tsc is one thread; CI has two). Each
// project's output is printed whole when it finishes, so failures are not interleaved.
import { spawn } from "node:child_process";
import { globSync } from "node:fs";
import { availableParallelism } from "node:os";

const projects = ["tsconfig.json", ...globSync("{packages,workers}/*/tsconfig.json").sort()];

function check(project: string): Promise<boolean> {
	return new Promise((resolve) => {
		const child = spawn("tsc", ["-p", project], { stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stdout.on("data", (chunk: Buffer) => {
			output += chunk.toString();
		});
		child.stderr.on("data", (chunk: Buffer) => {
			output += chunk.toString();
		});
		child.on("error", (error) => {
			console.error(`${project}: ${error.message}`);
			resolve(false);
		});
		child.on("close", (code) => {
			if (output) process.stdout.write(output);
			if (code === 0) console.log(`ok  ${project}`);
			resolve(code === 0);
		});
	});
}

const queue = [...projects];
let failed = 0;
await Promise.all(
	Array.from({ length: Math.max(1, Math.min(availableParallelism(), 4)) }, async () => {
		for (let project = queue.shift(); project !== undefined; project = queue.shift()) {
			if (!(await check(project))) failed++;
		}
	}),
);
if (failed > 0) {
	console.error(`${failed} project(s) failed to type-check`);
	process.exit(1);
}
