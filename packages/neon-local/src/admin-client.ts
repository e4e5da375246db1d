import type { NeonLocalStats } from "./server.ts";

export interface NeonLocalAdmin {
	/** Creates `name`, optionally as a copy of `template`. Rejects if it exists unless `replace`. */
	createDatabase(name: string, template?: string, options?: { replace?: boolean }): Promise<void>;
	/** Resolves false when the database did not exist. */
	dropDatabase(name: string): Promise<boolean>;
	stats(): Promise<NeonLocalStats>;
	resetStats(): Promise<void>;
}

/** A client for the `/_local` admin API; `url` is the server URL (a trailing `/sql` is tolerated). */
export function neonLocalAdmin(url: string): NeonLocalAdmin {
	const base = url.replace(/\/+$/, "").replace(/\/sql$/, "");

	const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
		const init: RequestInit = { method };
		if (body !== undefined) {
			init.body = JSON.stringify(body);
			init.headers = { "content-type": "application/json" };
		}
		return fetch(`${base}/_local${path}`, init);
	};
	const fail = async (res: Response, action: string): Promise<never> => {
		const text = await res.text();
		let message = text;
		try {
			message = (JSON.parse(text) as { message?: string }).message ?? text;
		} catch {
			// Not JSON: the raw text is the best message there is.
		}
		throw new Error(`neon-local: ${action} failed (HTTP ${res.status}): ${message}`);
	};

	return {
		async createDatabase(name, template, options = {}) {
			const res = await call("POST", "/databases", { name, template, replace: options.replace ?? false });
			if (res.status !== 201) await fail(res, `create database "${name}"`);
			await res.body?.cancel();
		},
		async dropDatabase(name) {
			const res = await call("DELETE", `/databases/${encodeURIComponent(name)}`);
			if (res.status === 404) {
				await res.body?.cancel();
				return false;
			}
			if (!res.ok) await fail(res, `drop database "${name}"`);
			await res.body?.cancel();
			return true;
		},
		async stats() {
			const res = await call("GET", "/stats");
			if (!res.ok) await fail(res, "stats");
			return (await res.json()) as NeonLocalStats;
		},
		async resetStats() {
			const res = await call("POST", "/stats/reset");
			if (!res.ok) await fail(res, "reset stats");
			await res.body?.cancel();
		},
	};
}
