// The JSON Meta's WhatsApp Cloud API POSTs to a webhook, built here so tests and the sandbox
// send exactly what production receives: one `whatsapp_business_account` object, one entry per
// WABA, one `messages` change whose value carries either inbound `messages` (with the sender in
// `contacts`) or delivery `statuses` for messages the business sent. Meta sends timestamps as
// strings of unix seconds and numbers (prices, quantities, coordinates) as JSON numbers.
// Pure: no Node imports, so it runs in Workers as well as Node.

export interface InboundFrom {
	/** The business number the customer wrote to (Graph API id). */
	phoneNumberId: string;
	/** That number as Meta shows it in `metadata.display_phone_number` (digits, no "+"). */
	displayPhoneNumber: string;
	/** The customer's WhatsApp id (their number in digits). */
	waId: string;
	/** The customer's profile name. */
	name?: string;
	/** The WhatsApp Business Account the number belongs to (`entry[].id`). */
	wabaId?: string;
}

export type InboundMessageSpec =
	| { type: "text"; body: string }
	| { type: "button_reply"; id: string; title: string }
	| { type: "list_reply"; id: string; title: string; description?: string }
	| {
			type: "order";
			catalogId: string;
			items: { productRetailerId: string; quantity: number; itemPrice: number; currency: string }[];
			text?: string;
	  }
	| { type: "image"; mediaId: string; mimeType?: string; caption?: string; sha256?: string }
	| { type: "location"; latitude: number; longitude: number; name?: string; address?: string };

export type InboundMessageInput = InboundMessageSpec & {
	/** The message's wamid; default a fresh one. */
	wamid?: string;
	/**
	 * Also the wamid, for text, order, image and location. A button or list reply's `id` is the
	 * id of the option picked (Meta's `button_reply.id`), never the message's: use `wamid`.
	 */
	id?: string;
	/** Unix seconds; default now. */
	timestamp?: number;
	/** The wamid of the business message this replies to (`context.id`). */
	contextId?: string;
};

export interface StatusSpec {
	wamid: string;
	status: "sent" | "delivered" | "read" | "failed";
	/** The customer the message went to (`recipient_id`). */
	recipientWaId: string;
	/** Unix seconds; default now. */
	timestamp?: number;
	/** Why a `failed` message failed (Meta's error code and title). */
	error?: { code: number; title: string };
}

/** The WABA id envelopes carry when none is given: shaped like Meta's, known to no one. */
export const SANDBOX_WABA_ID = "100000000000001";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const digits = (s: string) => s.replace(/\D/g, "");

function base64(bytes: Uint8Array): string {
	let binary = "";
	for (const b of bytes) binary += String.fromCharCode(b);
	return btoa(binary);
}

/**
 * A message id as Meta mints them: "wamid." and base64. Meta's encode the chat and a message
 * id; only uniqueness and shape matter to receivers, so random bytes stand in (a multiple of
 * three, so no "=" padding to trip up anyone who puts one in a URL).
 */
export function newWamid(): string {
	return `wamid.${base64(crypto.getRandomValues(new Uint8Array(36)))}`;
}

function randomHex(bytes: number): string {
	return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function envelope(wabaId: string, value: Record<string, unknown>): Record<string, unknown> {
	return {
		object: "whatsapp_business_account",
		entry: [{ id: wabaId, changes: [{ value: { messaging_product: "whatsapp", ...value }, field: "messages" }] }],
	};
}

function messageContent(spec: InboundMessageSpec): Record<string, unknown> {
	switch (spec.type) {
		case "text":
			return { type: "text", text: { body: spec.body } };
		case "button_reply":
			return { type: "interactive", interactive: { type: "button_reply", button_reply: { id: spec.id, title: spec.title } } };
		case "list_reply":
			return {
				type: "interactive",
				interactive: {
					type: "list_reply",
					list_reply: {
						id: spec.id,
						title: spec.title,
						...(spec.description === undefined ? {} : { description: spec.description }),
					},
				},
			};
		case "order":
			return {
				type: "order",
				order: {
					catalog_id: spec.catalogId,
					...(spec.text === undefined ? {} : { text: spec.text }),
					product_items: spec.items.map((item) => ({
						product_retailer_id: item.productRetailerId,
						quantity: item.quantity,
						item_price: item.itemPrice,
						currency: item.currency,
					})),
				},
			};
		case "image":
			return {
				type: "image",
				image: {
					...(spec.caption === undefined ? {} : { caption: spec.caption }),
					mime_type: spec.mimeType ?? "image/jpeg",
					// Meta always sends the hash; a made-up one keeps the shape when a test has none.
					sha256: spec.sha256 ?? randomHex(32),
					id: spec.mediaId,
				},
			};
		case "location":
			return {
				type: "location",
				location: {
					latitude: spec.latitude,
					longitude: spec.longitude,
					...(spec.name === undefined ? {} : { name: spec.name }),
					...(spec.address === undefined ? {} : { address: spec.address }),
				},
			};
	}
}

/** What Meta POSTs when the customer `from.waId` sends `messages` to the business number. */
export function inboundMessageEnvelope(from: InboundFrom, messages: InboundMessageInput[]): Record<string, unknown> {
	const business = digits(from.displayPhoneNumber);
	return envelope(from.wabaId ?? SANDBOX_WABA_ID, {
		metadata: { display_phone_number: business, phone_number_id: from.phoneNumberId },
		// Meta sends a profile name for every sender; an empty one is what a nameless profile looks like.
		contacts: [{ profile: { name: from.name ?? "" }, wa_id: from.waId }],
		messages: messages.map((m) => {
			// Replies to interactive messages always quote the message they answer.
			const interactive = m.type === "button_reply" || m.type === "list_reply";
			const contextId = m.contextId ?? (interactive ? newWamid() : undefined);
			return {
				...(contextId === undefined ? {} : { context: { from: business, id: contextId } }),
				from: from.waId,
				id: inboundWamid(m),
				timestamp: String(m.timestamp ?? nowSeconds()),
				...messageContent(m),
			};
		}),
	});
}

/** The message id an inbound message gets: `wamid`, else a non-reply's `id`, else a fresh one. */
export function inboundWamid(m: InboundMessageInput): string {
	const replyId = m.type === "button_reply" || m.type === "list_reply";
	return m.wamid ?? (replyId ? undefined : m.id) ?? newWamid();
}

/** The conversation/pricing Meta attaches to `sent` and `delivered` (service-window pricing). */
function billing(timestamp: number, conversationId: string): Record<string, unknown> {
	return {
		conversation: {
			id: conversationId,
			expiration_timestamp: String(timestamp + 24 * 60 * 60),
			origin: { type: "service" },
		},
		pricing: { billable: true, pricing_model: "CBP", category: "service" },
	};
}

/** What Meta POSTs as messages the business sent from `phoneNumberId` are sent, delivered, read or fail. */
export function statusEnvelope(
	phoneNumberId: string,
	displayPhoneNumber: string,
	statuses: StatusSpec[],
	wabaId: string = SANDBOX_WABA_ID,
): Record<string, unknown> {
	return envelope(wabaId, {
		metadata: { display_phone_number: digits(displayPhoneNumber), phone_number_id: phoneNumberId },
		statuses: statuses.map((s) => {
			const timestamp = s.timestamp ?? nowSeconds();
			const error = s.error ?? { code: 131000, title: "Something went wrong" };
			return {
				id: s.wamid,
				status: s.status,
				timestamp: String(timestamp),
				recipient_id: s.recipientWaId,
				// Read receipts and failures carry no conversation or pricing; failures carry errors.
				...(s.status === "sent" || s.status === "delivered" ? billing(timestamp, conversationIdFor(s.recipientWaId)) : {}),
				...(s.status === "failed"
					? { errors: [{ code: error.code, title: error.title, message: error.title, error_data: { details: error.title } }] }
					: {}),
			};
		}),
	});
}

/** Meta keeps one conversation per customer per window: the same id for the same customer here. */
function conversationIdFor(waId: string): string {
	let h1 = 0x811c9dc5;
	let h2 = 0x01000193;
	for (const c of waId) {
		h1 = Math.imul(h1 ^ c.charCodeAt(0), 0x01000193) >>> 0;
		h2 = Math.imul(h2 ^ c.charCodeAt(0), 0x811c9dc5) >>> 0;
	}
	return `${h1.toString(16).padStart(8, "0")}${h2.toString(16).padStart(8, "0")}`.repeat(2);
}
