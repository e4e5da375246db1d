// `npm run chat -- <store slug> "<message>"`: be a WhatsApp customer of a store running under
// `npm start`. The WhatsApp sandbox sends your message to the gateway as Meta would (signed
// webhook), and the replies the store sends back through the Graph API are printed here.
//
//   npm run chat -- demo "how much is the gele?"
//   npm run chat -- demo "#1"          pick option 1 of the last list or buttons you were sent
//   npm run chat -- demo "#checkout"   press the button or row whose id or title is "checkout"
//
// CHAT_FROM sets your WhatsApp number (default 2348000000001), CHAT_NAME your profile name.
// The store's number comes from the local database (its WhatsApp channel).
import { neon, neonConfig } from "@neondatabase/serverless";
import { WHATSAPP_SANDBOX_PORT } from "@oja/whatsapp-sandbox";
import { listMessages, type RecordedMessage, sendInbound } from "@oja/whatsapp-sandbox/admin";
import { localDatabaseName, workerDatabaseUrl } from "./local-database.ts";

const [slug, ...words] = process.argv.slice(2);
const text = words.join(" ").trim();
if (!slug || !text) {
	console.error('usage: npm run chat -- <store slug> "<message>"   (or "#<n>" to pick option n of the last menu)');
	process.exit(2);
}
const from = process.env.CHAT_FROM ?? "2348000000001";
const name = process.env.CHAT_NAME ?? "Chidi";
const admin = `http://127.0.0.1:${process.env.WHATSAPP_SANDBOX_PORT || WHATSAPP_SANDBOX_PORT}/_admin`;

neonConfig.fetchEndpoint = `http://127.0.0.1:${process.env.NEON_LOCAL_PORT || 5445}/sql`;
const sql = neon(workerDatabaseUrl(localDatabaseName(process.env.DATABASE_URL || undefined)));
const [channel] = (await sql
	.query("SELECT ch.phone_number_id FROM whatsapp_channels ch JOIN stores s ON s.id = ch.store_id WHERE s.slug = $1", [slug])
	.catch((error: unknown) => {
		console.error(`chat: is \`npm start\` running? (${error instanceof Error ? error.message : String(error)})`);
		process.exit(1);
	})) as { phone_number_id: string }[];
if (!channel) {
	console.error(`chat: store "${slug}" has no WhatsApp number (PUT /v1/stores/{storeId}/channels/whatsapp)`);
	process.exit(1);
}
const phoneNumberId = channel.phone_number_id;

interface Payload {
	type: string;
	text?: { body: string };
	interactive?: {
		type: string;
		body: { text: string };
		action: {
			button?: string;
			buttons?: { reply: { id: string; title: string } }[];
			sections?: { rows: { id: string; title: string; description?: string }[] }[];
		};
	};
	template?: { name: string; components?: { parameters: { text: string }[] }[] };
}
const payloadOf = (m: RecordedMessage) => JSON.parse(m.body) as Payload;
const optionsOf = (p: Payload) =>
	p.interactive?.action.buttons?.map((b) => ({
		id: b.reply.id,
		title: b.reply.title,
		description: undefined as string | undefined,
		kind: "button" as const,
	})) ??
	p.interactive?.action.sections?.flatMap((s) => s.rows.map((r) => ({ ...r, kind: "row" as const }))) ??
	[];

const before = await listMessages(admin, { phoneNumberId, to: from });
let message: Parameters<typeof sendInbound>[1]["message"] = { type: "text", body: text };
if (text.startsWith("#")) {
	// Pick an option of the last menu the store sent.
	const lastMenu = [...before].reverse().find((m) => !m.failed && optionsOf(payloadOf(m)).length > 0);
	const options = lastMenu ? optionsOf(payloadOf(lastMenu)) : [];
	const key = text.slice(1).trim().toLowerCase();
	const picked = /^\d+$/.test(key)
		? options[Number(key) - 1]
		: options.find((o) => o.id.toLowerCase() === key || o.title.toLowerCase() === key);
	if (!picked) {
		console.error(
			`chat: no option "${text.slice(1)}" in the last menu (${options.map((o, i) => `#${i + 1} ${o.title}`).join(", ") || "none"})`,
		);
		process.exit(1);
	}
	message =
		picked.kind === "button"
			? { type: "button_reply", id: picked.id, title: picked.title }
			: {
					type: "list_reply",
					id: picked.id,
					title: picked.title,
					...(picked.description ? { description: picked.description } : {}),
				};
	console.log(`you → [${picked.title}]`);
} else console.log(`you → ${text}`);

const delivery = await sendInbound(admin, { phoneNumberId, from, name, message });
if (delivery.status !== 200) {
	console.error(`chat: the gateway answered ${delivery.status ?? delivery.error} (is \`npm start\` running?)`);
	process.exit(1);
}

// Replies arrive through two queues; print them as they come, until it has been quiet a while.
const seen = new Set(before.map((m) => `${m.at}|${m.wamid}`));
let quietSince = Date.now();
const started = Date.now();
while (Date.now() - quietSince < 3000 && Date.now() - started < 20_000) {
	await new Promise((r) => setTimeout(r, 300));
	for (const m of await listMessages(admin, { phoneNumberId, to: from })) {
		const key = `${m.at}|${m.wamid}`;
		if (seen.has(key) || m.failed) continue;
		seen.add(key);
		quietSince = Date.now();
		const p = payloadOf(m);
		const body =
			p.text?.body ??
			p.interactive?.body.text ??
			`(template ${p.template?.name}: ${p.template?.components?.[0]?.parameters.map((x) => x.text).join(", ") ?? ""})`;
		console.log(`\n${slug} → ${body.replaceAll("\n", "\n     ")}`);
		optionsOf(p).forEach((o, i) => {
			console.log(`     #${i + 1} ${o.title}${o.description ? ` — ${o.description}` : ""}`);
		});
	}
}
if (seen.size === before.length) console.log("\n(no reply yet: the store's team may be handling this chat — see the inbox API)");
