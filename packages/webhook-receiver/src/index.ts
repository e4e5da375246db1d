// A merchant's webhook endpoint, for tests: records every request it receives (raw body and
// headers, so tests verify signatures exactly as a merchant would) and answers as scripted.
//   POST|PUT /hooks/{name}                          → the next scripted answer (default 200)
//   PUT      /_admin/hooks/{name} {"responses":[…]} → script the next answers: {status, location?}
//   GET      /_admin/hooks/{name}                   → {"requests":[{method, headers, body, at}]}
// Loopback only. Reached from workerd only because tests put its host:port in the messaging
// Worker's WEBHOOK_ALLOWED_HOSTS; every other loopback URL stays refused.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebhookReceiver {
	/** http://127.0.0.1:<port> */
	url: string;
	/** `127.0.0.1:<port>`, for WEBHOOK_ALLOWED_HOSTS. */
	host: string;
	adminUrl: string;
	close(): Promise<void>;
}

interface Recorded {
	method: string;
	path: string;
	headers: Record<string, string>;
	body: string;
	at: string;
}
interface Scripted {
	status: number;
	location?: string;
}

const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
	res.end(text);
}

async function readText(req: IncomingMessage): Promise<string> {
	let size = 0;
	const chunks: Buffer[] = [];
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > MAX_BODY) throw new Error("body too large");
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks).toString("utf8");
}

export async function startWebhookReceiver(options: { port?: number } = {}): Promise<WebhookReceiver> {
	const requests = new Map<string, Recorded[]>();
	const scripts = new Map<string, Scripted[]>();
	const host = "127.0.0.1";

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const url = new URL(req.url ?? "/", `http://${host}`);
		const admin = /^\/_admin\/hooks\/([\w.-]+)$/.exec(url.pathname);
		if (admin?.[1]) {
			const name = admin[1];
			if (req.method === "GET") return send(res, 200, { requests: requests.get(name) ?? [] });
			if (req.method === "PUT") {
				const body = JSON.parse(await readText(req)) as { responses?: Scripted[] };
				scripts.set(name, [...(body.responses ?? [])]);
				return send(res, 200, { name });
			}
		}
		const hook = /^\/hooks\/([\w.-]+)$/.exec(url.pathname);
		if (hook?.[1]) {
			const name = hook[1];
			const body = await readText(req);
			const headers: Record<string, string> = {};
			for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
			const list = requests.get(name) ?? [];
			list.push({ method: req.method ?? "", path: url.pathname, headers, body, at: new Date().toISOString() });
			requests.set(name, list);
			const next = scripts.get(name)?.shift() ?? { status: 200 };
			return send(res, next.status, { received: true }, next.location ? { location: next.location } : {});
		}
		send(res, 404, { message: `no route for ${req.method} ${url.pathname}` });
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (res.headersSent) res.destroy();
			else send(res, 400, { message: error instanceof Error ? error.message : String(error) });
		});
	});
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
		url: base,
		host: `${host}:${port}`,
		adminUrl: `${base}/_admin`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
