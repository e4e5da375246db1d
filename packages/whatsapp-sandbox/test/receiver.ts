import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
	body: string;
	signature: string | null;
	userAgent: string | null;
}

export interface Receiver {
	url: string;
	received: Received[];
	/** What the receiver answers; change it to simulate a failing webhook endpoint. */
	status: number;
	close(): Promise<void>;
}

/** A webhook target that records the raw bodies and signatures it is sent. */
export async function startReceiver(): Promise<Receiver> {
	const state = { received: [] as Received[], status: 200 };
	const server: Server = createServer(async (req: IncomingMessage, res) => {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const signature = req.headers["x-hub-signature-256"];
		state.received.push({
			body: Buffer.concat(chunks).toString("utf8"),
			signature: typeof signature === "string" ? signature : null,
			userAgent: req.headers["user-agent"] ?? null,
		});
		res.writeHead(state.status).end();
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return Object.assign(state, {
		url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
		close: async () => {
			server.closeAllConnections();
			await new Promise((r) => server.close(r));
		},
	});
}
