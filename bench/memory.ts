// Resident memory of the benchmark's processes, read from /proc/<pid>/status (Linux only; on
// other systems every reading is `undefined` and the report says so). VmRSS is what a process
// holds now, VmHWM the most it has held since it started: the kernel keeps the peak, so a
// spike between two samples is never missed.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessMemory {
	rssKiB: number;
	peakKiB: number;
	/** RSS split: anonymous memory (heaps, buffers) vs file pages mapped in (binaries, mmap'd files). */
	anonKiB: number;
	fileKiB: number;
}

/** A process the bench watches, named for what it runs. */
export interface WatchedProcess {
	role: string;
	pid: number;
}

function kib(status: string, field: string): number | undefined {
	const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
	return match ? Number(match[1]) : undefined;
}

export function readMemory(pid: number): ProcessMemory | undefined {
	let status: string;
	try {
		status = readFileSync(`/proc/${pid}/status`, "utf8");
	} catch {
		return undefined;
	}
	const rssKiB = kib(status, "VmRSS");
	const peakKiB = kib(status, "VmHWM");
	if (rssKiB === undefined || peakKiB === undefined) return undefined;
	return { rssKiB, peakKiB, anonKiB: kib(status, "RssAnon") ?? 0, fileKiB: kib(status, "RssFile") ?? 0 };
}

/** Every process below `root` whose command name is `comm` (e.g. "workerd"), by scanning /proc. */
export function descendantsNamed(root: number, comm: string): number[] {
	let entries: string[];
	try {
		entries = readdirSync("/proc");
	} catch {
		return [];
	}
	const parentOf = new Map<number, number>();
	const named = new Set<number>();
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			// /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses.
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			const close = stat.lastIndexOf(")");
			const name = stat.slice(stat.indexOf("(") + 1, close);
			const ppid = Number(stat.slice(close + 2).split(" ")[1]);
			parentOf.set(Number(entry), ppid);
			if (name === comm) named.add(Number(entry));
		} catch {
			// The process exited while we looked.
		}
	}
	const isBelow = (pid: number): boolean => {
		for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === root) return true;
		return false;
	};
	return [...named].filter(isBelow).sort((a, b) => a - b);
}

const mib = (kiB: number) => Math.round((kiB / 1024) * 10) / 10;

/** One reading of every watched process, in MiB (null when the process is gone or /proc is absent). */
export function sample(
	processes: WatchedProcess[],
): Record<string, { rssMiB: number; peakMiB: number; anonMiB: number; fileMiB: number } | null> {
	return Object.fromEntries(
		processes.map(({ role, pid }) => {
			const m = readMemory(pid);
			return [
				role,
				m ? { rssMiB: mib(m.rssKiB), peakMiB: mib(m.peakKiB), anonMiB: mib(m.anonKiB), fileMiB: mib(m.fileKiB) } : null,
			];
		}),
	);
}

/**
 * V8 heap per Worker isolate, through workerd's inspector (only when the stack was started
 * with one, `--heap`): it tells memory Oja's JavaScript holds apart from memory the runtime
 * holds outside any isolate (its cache and storage emulation, buffers, allocator slack).
 * With `collect`, a full garbage collection runs first, so `used` is what is still reachable.
 */
export async function heapUsage(
	inspectorUrl: string,
	collect: boolean,
): Promise<Record<string, { usedMiB: number; totalMiB: number }>> {
	const http = inspectorUrl.replace(/^ws/, "http").replace(/\/$/, "");
	const targets = (await (await fetch(`${http}/json`)).json()) as { title?: string; id: string; webSocketDebuggerUrl: string }[];
	const out: Record<string, { usedMiB: number; totalMiB: number }> = {};
	for (const target of targets) {
		const name = (target.title ?? target.id).replace(/^core:user:/, "");
		const usage = await inspectorCall(target.webSocketDebuggerUrl, collect);
		if (usage) out[name] = { usedMiB: mib(usage.usedSize / 1024), totalMiB: mib(usage.totalSize / 1024) };
	}
	return out;
}

function inspectorCall(url: string, collect: boolean): Promise<{ usedSize: number; totalSize: number } | undefined> {
	// workerd's inspector answers in order, so the usage read after collectGarbage sees its
	// result. (Waiting for collectGarbage's own reply hangs: workerd does not always send one.)
	return new Promise((resolve) => {
		const socket = new WebSocket(url);
		const done = (result: { usedSize: number; totalSize: number } | undefined) => {
			clearTimeout(timer);
			socket.close();
			resolve(result);
		};
		const timer = setTimeout(() => done(undefined), 10_000);
		socket.addEventListener("open", () => {
			if (collect) socket.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" }));
			socket.send(JSON.stringify({ id: 2, method: "Runtime.getHeapUsage" }));
		});
		socket.addEventListener("message", (event) => {
			const message = JSON.parse(String(event.data)) as { id?: number; result?: { usedSize: number; totalSize: number } };
			if (message.id === 2) done(message.result);
		});
		socket.addEventListener("error", () => done(undefined));
	});
}
