// `node bench/profile.ts [checkout|add|whatsapp]`: where workerd's CPU goes on the commerce paths. Starts
// the stack with workerd's inspector, runs the load from this process, and prints each Oja
// Worker's V8 CPU profile as self time by function, and by source file. For investigating; it
// writes nothing to docs/.
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildWorkers } from "../scripts/build-workers.ts";
import { type Disposer, startStack } from "../scripts/local-stack.ts";
import { seedBulkCatalog } from "../scripts/seed.ts";
import { CART_VARIANTS, CHECKOUT_BODY, cpuMeter, makeCarts, SLUG, seedCommerce, settle } from "./commerce.ts";

const { values: flags, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		count: { type: "string", default: "400" },
		// Requests in flight at once; 1 measures each request's cost without contention.
		connections: { type: "string", default: "32" },
		top: { type: "string", default: "25" },
		// Without the inspector: workerd's and this process's CPU per request from /proc, which
		// the profiler itself would inflate.
		cpu: { type: "boolean", default: false },
		// With --cpu: also the SQL round trips per request by statement shape (neon-local's
		// count), the request's own and the async work's after it.
		shapes: { type: "boolean", default: false },
	},
});
const scenario = positionals[0] ?? "checkout";
const count = Number(flags.count);
const top = Number(flags.top);

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
	hitCount?: number;
	children?: number[];
}
interface Profile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples?: number[];
	timeDeltas?: number[];
}

/**
 * CPU seconds of every process named postgres on this machine (the server's backends and its
 * background workers): against a local DATABASE_URL, the server's share of the work.
 */
function postgresCpuSeconds(): number {
	let total = 0;
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			if (!stat.includes("(postgres)")) continue;
			const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			total += (Number(fields[11]) + Number(fields[12])) / 100;
		} catch {
			// The process ended between the listing and the read.
		}
	}
	return total;
}

class Inspector {
	#socket: WebSocket;
	#next = 1;
	#pending = new Map<number, (result: unknown) => void>();
	constructor(url: string) {
		this.#socket = new WebSocket(url);
		this.#socket.addEventListener("message", (event) => {
			const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
			if (message.id !== undefined) this.#pending.get(message.id)?.(message.result);
		});
	}
	open(): Promise<void> {
		return new Promise((resolve, reject) => {
			this.#socket.addEventListener("open", () => resolve());
			this.#socket.addEventListener("error", () => reject(new Error("inspector socket failed")));
		});
	}
	call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
		const id = this.#next++;
		return new Promise((resolve) => {
			this.#pending.set(id, resolve as (result: unknown) => void);
			this.#socket.send(JSON.stringify({ id, method, params }));
		});
	}
	close(): void {
		this.#socket.close();
	}
}

function summarise(name: string, profile: Profile): void {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const selfUs = new Map<number, number>();
	const samples = profile.samples ?? [];
	const deltas = profile.timeDeltas ?? [];
	for (let i = 0; i < samples.length; i++) {
		const id = samples[i] as number;
		selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
	}
	const byFunction = new Map<string, number>();
	const byFile = new Map<string, number>();
	let busy = 0;
	for (const [id, us] of selfUs) {
		const frame = byId.get(id)?.callFrame;
		if (!frame) continue;
		if (frame.functionName === "(idle)") continue;
		busy += us;
		const file = frame.url.replace(/^.*\//, "") || "(native)";
		const key = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + us);
		byFile.set(file, (byFile.get(file) ?? 0) + us);
	}
	const ms = (us: number) => (us / 1000).toFixed(1);
	console.log(`\n== ${name}: busy ${ms(busy)} ms (${(busy / 1000 / count).toFixed(2)} ms per ${scenario})`);
	for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
		console.log(`  ${ms(us).padStart(8)} ms  ${key}`);
	console.log("  by file:");
	for (const [file, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 8))
		console.log(`  ${ms(us).padStart(8)} ms  ${file}`);
}

async function main(): Promise<void> {
	buildWorkers();
	const disposers: Disposer[] = [];
	try {
		const stack = await startStack(
			{
				databaseUrl: process.env.DATABASE_URL,
				inspect: !flags.cpu,
				runtimeStorageDir: "/dev/shm",
				statementShapes: flags.shapes,
			},
			disposers,
		);
		await seedBulkCatalog(stack.databaseUrl, stack.sqlEndpoint, { products: 1000, variantsPerProduct: 5 });
		await seedCommerce(stack);
		const variantOf = (i: number) => CART_VARIANTS[i % CART_VARIANTS.length] as string;
		const carts = await makeCarts(stack.gatewayUrl, count + 20, scenario === "checkout" ? variantOf : undefined);
		const { inboundMessageEnvelope, signWhatsAppBody } = await import("@oja/whatsapp");
		// The ingest benchmark's delivery: signed, for a number no store registered.
		const webhookBody = JSON.stringify(
			inboundMessageEnvelope(
				{ phoneNumberId: "999000111222333", displayPhoneNumber: "2340000000", waId: "2348099999999", name: "Bench" },
				[{ type: "text", body: "how much is the gele?" }],
			),
		);
		const webhookSignature = await signWhatsAppBody(webhookBody, stack.whatsappAppSecret);
		const request = (i: number) =>
			scenario === "whatsapp"
				? fetch(`${stack.gatewayUrl}/webhooks/whatsapp`, {
						method: "POST",
						headers: { "content-type": "application/json", "x-hub-signature-256": webhookSignature },
						body: webhookBody,
					})
				: scenario === "checkout"
					? fetch(`${stack.gatewayUrl}/v1/storefront/${SLUG}/carts/${carts[i]}/checkout`, {
							method: "POST",
							headers: { "content-type": "application/json", "idempotency-key": `profile-${i}` },
							body: process.env.DISTINCT_SHOPPERS
								? JSON.stringify({
										...JSON.parse(CHECKOUT_BODY),
										email: `shopper${i}@example.com`,
										phone: `+234803${String(1000000 + i).slice(-7)}`,
									})
								: CHECKOUT_BODY,
						})
					: fetch(`${stack.gatewayUrl}/v1/storefront/${SLUG}/carts/${carts[i % carts.length]}/lines`, {
							method: "POST",
							headers: { "content-type": "application/json" },
							body: JSON.stringify({ variantId: variantOf(Math.floor(i / carts.length)), quantity: 1 }),
						});
		const drive = async (from: number, to: number) => {
			let next = from;
			await Promise.all(
				Array.from({ length: Number(flags.connections) }, async () => {
					while (next < to) {
						const res = await request(next++);
						if (res.status !== (scenario === "whatsapp" ? 200 : 201))
							console.error(`status ${res.status}: ${(await res.text()).slice(0, 200)}`);
						else await res.body?.cancel();
					}
				}),
			);
		};
		if (flags.cpu) {
			await drive(0, 20);
			await settle(stack);
			const meter = cpuMeter(
				stack.processes.filter((p) => p.role.includes("Oja")).concat({ role: "bench host", pid: process.pid }),
			);
			const shapesBefore = (await stack.admin.stats()).shapes ?? {};
			const postgresBefore = postgresCpuSeconds();
			const started = performance.now();
			await drive(20, 20 + count);
			const wall = performance.now() - started;
			const duringRun = meter(count);
			const postgresDuring = postgresCpuSeconds();
			const settled = await settle(stack);
			const postgresMs = (until: number) => Math.round(((until - postgresBefore) * 10_000) / count) / 10;
			console.log(
				`${count} × ${scenario} in ${(wall / 1000).toFixed(2)} s: ${((count / wall) * 1000).toFixed(0)}/s; CPU ms/request during the run ${JSON.stringify(duringRun)}, settled ${JSON.stringify(meter(count))}` +
					(process.env.DATABASE_URL
						? `; PostgreSQL server (every postgres process on this machine) during ${postgresMs(postgresDuring)}, settled ${postgresMs(postgresCpuSeconds())}`
						: ""),
			);
			if (flags.shapes) {
				const perRequest = Object.entries(settled.shapes ?? {})
					.map(([shape, n]) => [shape, (n - (shapesBefore[shape] ?? 0)) / count] as const)
					.filter(([, n]) => n > 0)
					.sort((a, b) => b[1] - a[1]);
				const total = perRequest.reduce((sum, [, n]) => sum + n, 0);
				console.log(`SQL round trips per ${scenario}, async work included: ${total.toFixed(2)}`);
				for (const [shape, n] of perRequest) console.log(`  ${n.toFixed(2)}  ${shape}`);
			}
			return;
		}
		const url = (stack.inspectorUrl as string).replace(/^ws/, "http").replace(/\/$/, "");
		const targets = (await (await fetch(`${url}/json`)).json()) as { title?: string; id: string; webSocketDebuggerUrl: string }[];
		await drive(0, 20); // first-use compilation
		await settle(stack);
		const inspectors = await Promise.all(
			targets.map(async (t) => {
				const inspector = new Inspector(t.webSocketDebuggerUrl);
				await inspector.open();
				await inspector.call("Profiler.enable");
				await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
				await inspector.call("Profiler.start");
				return { name: (t.title ?? t.id).replace(/^core:user:/, ""), inspector };
			}),
		);
		const started = performance.now();
		await drive(20, 20 + count);
		const wall = performance.now() - started;
		await settle(stack);
		console.log(`${count} × ${scenario} in ${(wall / 1000).toFixed(2)} s: ${((count / wall) * 1000).toFixed(0)}/s`);
		let total = 0;
		for (const { name, inspector } of inspectors) {
			const { profile } = await inspector.call<{ profile: Profile }>("Profiler.stop");
			inspector.close();
			let busy = 0;
			const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
			(profile.samples ?? []).forEach((s, i) => {
				if (!idle.has(s)) busy += profile.timeDeltas?.[i + 1] ?? 0;
			});
			total += busy;
			summarise(name, profile);
		}
		console.log(`\nall isolates: ${(total / 1000 / count).toFixed(2)} ms per ${scenario}`);
	} finally {
		for (const dispose of disposers.reverse()) await dispose();
	}
}

await main();
process.exit(0);
