// The npm registry mirror this project is built against serves only the Linux builds of
// some platform-specific optional packages (workerd, biome) at the versions we pin. npm then
// leaves them out of package-lock.json, and `npm ci` refuses the lock as "out of sync".
// This adds the missing entries (name, version, os, cpu; npm skips them on other platforms
// and fetches them by version where they apply), so `npm ci` works on a fresh clone.
// Run it after `npm install` changes the lock: `node scripts/lockfile-platforms.ts`.
import { readFileSync, writeFileSync } from "node:fs";

interface LockPackage {
	version?: string;
	optional?: boolean;
	os?: string[];
	cpu?: string[];
	libc?: string[];
	license?: string;
	optionalDependencies?: Record<string, string>;
	engines?: Record<string, string>;
	[key: string]: unknown;
}

const PLATFORM: Record<string, { os: string[]; cpu: string[]; libc?: string[] }> = {
	"darwin-64": { os: ["darwin"], cpu: ["x64"] },
	"darwin-x64": { os: ["darwin"], cpu: ["x64"] },
	"darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
	"windows-64": { os: ["win32"], cpu: ["x64"] },
	"win32-x64": { os: ["win32"], cpu: ["x64"] },
	"win32-arm64": { os: ["win32"], cpu: ["arm64"] },
	"android-arm64": { os: ["android"], cpu: ["arm64"] },
	"android-x64": { os: ["android"], cpu: ["x64"] },
	"linux-64": { os: ["linux"], cpu: ["x64"] },
	"linux-x64": { os: ["linux"], cpu: ["x64"] },
	"linux-arm64": { os: ["linux"], cpu: ["arm64"] },
	"linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
	"linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
};

const lockPath = "package-lock.json";
const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockPackage> };
let added = 0;

for (const [path, pkg] of Object.entries(lock.packages)) {
	for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
		const suffix = Object.keys(PLATFORM).find((s) => name.endsWith(`-${s}`));
		if (!suffix || !/^(@cloudflare\/workerd-|@biomejs\/cli-)/.test(name)) continue;
		// npm resolves an optional dependency next to its parent, or hoisted to the root.
		const parentDir = path.slice(0, path.lastIndexOf("node_modules/") + "node_modules/".length);
		const candidates = [`${parentDir}${name}`, `node_modules/${name}`];
		if (candidates.some((c) => lock.packages[c]?.version === version)) continue;
		const target = lock.packages[candidates[1] as string] ? (candidates[0] as string) : (candidates[1] as string);
		lock.packages[target] = { version, optional: true, ...PLATFORM[suffix] };
		added++;
	}
}

const sorted = Object.fromEntries(
	Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify({ ...lock, packages: sorted }, null, "\t")}\n`);
console.log(`package-lock.json: ${added} platform entries added`);
