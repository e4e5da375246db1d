import { z } from "zod";

// Meta's webhook POST (`object: "whatsapp_business_account"`), read into Oja's own shape. One
// delivery can carry several changes, each with several messages and statuses, for one or more
// of the business's phone numbers: every one is returned, tagged with the phone_number_id that
// received it (which is how Oja finds the store). Fields Oja does not use are ignored; a message
// type Oja does not handle becomes `unsupported` (so it is still seen, deduplicated and
// answered politely) rather than failing the whole delivery.

const digits = z.string().regex(/^\d{5,20}$/);
const wamid = z.string().min(1).max(256);
const unixSeconds = z
	.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])
	.transform((v) => new Date(Number(v) * 1000));
/** Well-formed text without NUL (lone surrogates are replaced), bounded. */
const text = (max: number) =>
	z
		.string()
		.max(max * 2)
		.transform((s) => Array.from(s.toWellFormed().replaceAll("\u0000", "")).slice(0, max).join(""));

const Contact = z.object({
	wa_id: digits,
	profile: z
		.object({ name: text(100).optional() })
		.partial()
		.optional(),
});

const MessageBase = z.object({
	from: digits,
	id: wamid,
	timestamp: unixSeconds,
	context: z.object({ id: wamid.optional() }).partial().optional(),
});

const WireMessage = z.discriminatedUnion("type", [
	MessageBase.extend({ type: z.literal("text"), text: z.object({ body: text(4096) }) }),
	MessageBase.extend({
		type: z.literal("interactive"),
		interactive: z.discriminatedUnion("type", [
			z.object({ type: z.literal("button_reply"), button_reply: z.object({ id: text(256), title: text(60) }) }),
			z.object({
				type: z.literal("list_reply"),
				list_reply: z.object({ id: text(200), title: text(60), description: text(100).optional() }),
			}),
		]),
	}),
	MessageBase.extend({
		type: z.literal("button"),
		button: z.object({ payload: text(256).optional(), text: text(256) }),
	}),
	MessageBase.extend({
		type: z.literal("order"),
		order: z.object({
			catalog_id: z.string().max(100).optional(),
			text: text(1000).optional(),
			product_items: z
				.array(
					z.object({
						product_retailer_id: text(100),
						quantity: z
							.union([z.number(), z.string().regex(/^\d{1,4}$/)])
							.transform(Number)
							.pipe(z.number().int().min(1).max(999)),
						item_price: z.union([z.number(), z.string()]).optional(),
						currency: z.string().optional(),
					}),
				)
				.min(1)
				.max(100),
		}),
	}),
	MessageBase.extend({
		type: z.literal("image"),
		image: z.object({ id: z.string().max(256), mime_type: z.string().max(100).optional(), caption: text(1024).optional() }),
	}),
	MessageBase.extend({
		type: z.literal("location"),
		location: z.object({
			latitude: z.number().min(-90).max(90),
			longitude: z.number().min(-180).max(180),
			name: text(200).optional(),
			address: text(500).optional(),
		}),
	}),
]);

const WireStatus = z.object({
	id: wamid,
	status: z.enum(["sent", "delivered", "read", "failed"]),
	timestamp: unixSeconds,
	recipient_id: digits,
	errors: z.array(z.object({ code: z.number().int(), title: z.string().max(500).optional() })).optional(),
});

const Value = z.object({
	messaging_product: z.literal("whatsapp"),
	metadata: z.object({ display_phone_number: z.string().max(40), phone_number_id: digits }),
	contacts: z.array(Contact).max(1000).optional(),
	// Each message is parsed on its own below, so one odd message does not hide the rest.
	messages: z.array(z.unknown()).max(1000).optional(),
	statuses: z.array(z.unknown()).max(1000).optional(),
});

export const WhatsAppEnvelope = z.object({
	object: z.literal("whatsapp_business_account"),
	entry: z
		.array(
			z.object({
				id: z.string().max(64),
				changes: z.array(z.object({ field: z.string().max(64), value: z.unknown() })).max(1000),
			}),
		)
		.max(1000),
});

export type InboundContent =
	| { type: "text"; text: string }
	| { type: "reply"; id: string; title: string }
	| { type: "order"; items: { retailerId: string; quantity: number }[]; text: string | null }
	| { type: "image"; mediaId: string; caption: string | null }
	| { type: "location"; latitude: number; longitude: number; name: string | null; address: string | null }
	| { type: "unsupported"; wireType: string };

export interface InboundMessage {
	kind: "message";
	phoneNumberId: string;
	wamid: string;
	waId: string;
	name: string | null;
	at: Date;
	replyTo: string | null;
	content: InboundContent;
}

export interface InboundStatus {
	kind: "status";
	phoneNumberId: string;
	wamid: string;
	waId: string;
	status: "sent" | "delivered" | "read" | "failed";
	at: Date;
	errorCode: number | null;
}

export type InboundEvent = InboundMessage | InboundStatus;

function contentOf(message: z.infer<typeof WireMessage>): InboundContent {
	switch (message.type) {
		case "text":
			return { type: "text", text: message.text.body };
		case "interactive":
			return message.interactive.type === "button_reply"
				? { type: "reply", ...message.interactive.button_reply }
				: { type: "reply", id: message.interactive.list_reply.id, title: message.interactive.list_reply.title };
		case "button":
			// A quick-reply button on a template: its payload is the id we set.
			return { type: "reply", id: message.button.payload ?? message.button.text, title: message.button.text };
		case "order":
			return {
				type: "order",
				items: message.order.product_items.map((i) => ({ retailerId: i.product_retailer_id, quantity: i.quantity })),
				text: message.order.text ?? null,
			};
		case "image":
			return { type: "image", mediaId: message.image.id, caption: message.image.caption ?? null };
		case "location":
			return {
				type: "location",
				latitude: message.location.latitude,
				longitude: message.location.longitude,
				name: message.location.name ?? null,
				address: message.location.address ?? null,
			};
	}
}

export interface NormalisedDelivery {
	events: InboundEvent[];
	/** Items that could not be read (logged by the caller by code, never by content). */
	skipped: number;
}

/**
 * Every message and status in a delivery, in the order Meta listed them. Throws only when the
 * body is not a WhatsApp envelope at all; a single unreadable message is skipped and counted.
 */
export function normaliseDelivery(body: unknown): NormalisedDelivery {
	const envelope = WhatsAppEnvelope.parse(body);
	const events: InboundEvent[] = [];
	let skipped = 0;
	for (const entry of envelope.entry) {
		for (const change of entry.changes) {
			if (change.field !== "messages") continue;
			const value = Value.safeParse(change.value);
			if (!value.success) {
				skipped++;
				continue;
			}
			const phoneNumberId = value.data.metadata.phone_number_id;
			const names = new Map((value.data.contacts ?? []).map((c) => [c.wa_id, c.profile?.name?.trim() || null]));
			for (const raw of value.data.messages ?? []) {
				const parsed = WireMessage.safeParse(raw);
				if (parsed.success) {
					const m = parsed.data;
					events.push({
						kind: "message",
						phoneNumberId,
						wamid: m.id,
						waId: m.from,
						name: names.get(m.from) ?? null,
						at: m.timestamp,
						replyTo: m.context?.id ?? null,
						content: contentOf(m),
					});
					continue;
				}
				// A type Oja does not read (sticker, audio, reaction…) still gets a reply; anything
				// without a sender and an id cannot be answered and is skipped.
				const base = MessageBase.extend({ type: z.string().regex(/^[a-z_]{1,40}$/) }).safeParse(raw);
				if (base.success) {
					events.push({
						kind: "message",
						phoneNumberId,
						wamid: base.data.id,
						waId: base.data.from,
						name: names.get(base.data.from) ?? null,
						at: base.data.timestamp,
						replyTo: base.data.context?.id ?? null,
						content: { type: "unsupported", wireType: base.data.type },
					});
				} else skipped++;
			}
			for (const raw of value.data.statuses ?? []) {
				const parsed = WireStatus.safeParse(raw);
				if (!parsed.success) {
					skipped++;
					continue;
				}
				events.push({
					kind: "status",
					phoneNumberId,
					wamid: parsed.data.id,
					waId: parsed.data.recipient_id,
					status: parsed.data.status,
					at: parsed.data.timestamp,
					errorCode: parsed.data.errors?.[0]?.code ?? null,
				});
			}
		}
	}
	return { events, skipped };
}

/** Delivery states only move forward: a late "sent" never overwrites "read". `failed` is final. */
export const STATUS_RANK = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 } as const;
export type DeliveryStatus = keyof typeof STATUS_RANK;
