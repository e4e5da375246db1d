// A local stand-in for a DNS-over-HTTPS resolver, so tests and `npm start` control what
// "DNS" says about a merchant's domain. It answers the JSON format (`application/dns-json`)
// the Workers' @oja/dns client speaks to Cloudflare or Google in production, from records
// set through its admin endpoint:
//   GET    /dns-query?name=…&type=TXT|A|AAAA   → {"Status":0|3,"Answer":[…]}
//   PUT    /_admin/txt/{name}  {"values":[…]}  → replaces the TXT strings at name
//   PUT    /_admin/a/{name}, /_admin/aaaa/{name} {"values":[…]} → the addresses (webhook SSRF tests)
//   DELETE /_admin/{txt|a|aaaa}/{name}         → removes them
// Loopback only, no CORS: nothing but local processes should reach it.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface DnsSandbox {
	/** The DoH endpoint to give the Workers (…/dns-query). */
	url: string;
	/** Where the admin endpoint lives (…/_admin). */
	adminUrl: string;
	close(): Promise<void>;
}

const TYPES = { TXT: 16, A: 1, AAAA: 28 } as const;
type RecordType = keyof typeof TYPES;
const MAX_BODY = 64 * 1024;

const canonical = (name: string) => name.trim().toLowerCase().replace(/\.$/, "");

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
	res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	let size = 0;
	const chunks: Buffer[] = [];
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > MAX_BODY) throw new Error("body too large");
		chunks.push(chunk as Buffer);
	}
	return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** TXT data as Cloudflare's resolver writes it: each string quoted, split every 255 bytes. */
function quoted(value: string): string {
	const parts = value.match(/[\s\S]{1,255}/g) ?? [""];
	return parts.map((p) => `"${p.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(" ");
}

export async function startDnsSandbox(options: { port?: number } = {}): Promise<DnsSandbox> {
	// Keyed by "<TYPE> <name>".
	const records = new Map<string, string[]>();
	const hasAny = (name: string) => (Object.keys(TYPES) as RecordType[]).some((t) => records.has(`${t} ${name}`));
	const host = "127.0.0.1";

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const url = new URL(req.url ?? "/", `http://${host}`);
		if (url.pathname === "/dns-query" && req.method === "GET") {
			const name = canonical(url.searchParams.get("name") ?? "");
			const asked = (url.searchParams.get("type") ?? "A").toUpperCase();
			if (!name) return send(res, 400, { Status: 1, Comment: "name is required" }, "application/dns-json");
			const type: RecordType = asked === "TXT" || asked === "AAAA" ? asked : "A";
			const question = [{ name: `${name}.`, type: TYPES[type] }];
			// Like a real zone: a name with no records at all is NXDOMAIN; one with other types only, NOERROR and no answer.
			if (!hasAny(name)) return send(res, 200, { Status: 3, Question: question }, "application/dns-json");
			const values = records.get(`${type} ${name}`) ?? [];
			const Answer = values.map((v) => ({ name: `${name}.`, type: TYPES[type], TTL: 60, data: type === "TXT" ? quoted(v) : v }));
			return send(res, 200, { Status: 0, Question: question, Answer }, "application/dns-json");
		}
		const admin = /^\/_admin\/(txt|a|aaaa)\/([^/]+)$/.exec(url.pathname);
		if (admin?.[1] !== undefined && admin[2] !== undefined) {
			const type = admin[1].toUpperCase() as RecordType;
			const name = canonical(decodeURIComponent(admin[2]));
			if (req.method === "PUT") {
				const body = (await readJson(req)) as { values?: unknown };
				if (!Array.isArray(body.values) || !body.values.every((v) => typeof v === "string")) {
					return send(res, 400, { message: 'expected {"values": string[]}' });
				}
				records.set(`${type} ${name}`, body.values as string[]);
				return send(res, 200, { name, values: body.values });
			}
			if (req.method === "DELETE") {
				records.delete(`${type} ${name}`);
				return send(res, 200, { name });
			}
		}
		send(res, 404, { message: `no route for ${req.method} ${url.pathname}` });
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (res.headersSent) res.destroy();
			else send(res, 400, { message: error instanceof Error ? error.message : String(error) });
		});
	});
	server.keepAliveTimeout = 60_000;
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const { port } = server.address() as AddressInfo;
	const base = `http://${host}:${port}`;
	return {
		url: `${base}/dns-query`,
		adminUrl: `${base}/_admin`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

/** Sets (or, with no values, removes) the TXT strings at a name in a running sandbox. */
export async function setTxt(adminUrl: string, name: string, values: string[]): Promise<void> {
	const target = `${adminUrl}/txt/${encodeURIComponent(name)}`;
	const res =
		values.length === 0
			? await fetch(target, { method: "DELETE" })
			: await fetch(target, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ values }) });
	if (!res.ok) throw new Error(`dns sandbox answered ${res.status}: ${await res.text()}`);
}

/** Sets (or, with no values, removes) the A or AAAA addresses of a name in a running sandbox. */
export async function setAddresses(adminUrl: string, name: string, type: "a" | "aaaa", values: string[]): Promise<void> {
	const target = `${adminUrl}/${type}/${encodeURIComponent(name)}`;
	const res =
		values.length === 0
			? await fetch(target, { method: "DELETE" })
			: await fetch(target, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ values }) });
	if (!res.ok) throw new Error(`dns sandbox answered ${res.status}: ${await res.text()}`);
}
