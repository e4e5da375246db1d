import { z } from "zod";
import { isoDateTime, plainText, prefixedId } from "./fields.ts";

// Messaging: WhatsApp channels, conversations and the merchant inbox.

export const WhatsAppChannelInput = z
	.object({
		phoneNumberId: z.string().regex(/^\d{5,20}$/, { message: "The phone number ID from Meta's WhatsApp Manager (digits)" }),
		displayPhoneNumber: z
			.string()
			.trim()
			.regex(/^\+?[0-9 ()-]{5,30}$/, { message: "A phone number, e.g. +234 803 123 4567" }),
		accessToken: z
			.string()
			.min(20)
			.max(1000)
			.regex(/^[\x21-\x7e]+$/, { message: "Printable ASCII only" })
			.describe("A system-user access token; stored encrypted and never returned"),
	})
	.strict();
export type WhatsAppChannelInput = z.infer<typeof WhatsAppChannelInput>;

export const WhatsAppChannel = z.object({
	phoneNumberId: z.string(),
	displayPhoneNumber: z.string(),
	accessTokenSet: z.boolean(),
	updatedAt: isoDateTime,
});
export type WhatsAppChannel = z.infer<typeof WhatsAppChannel>;

export const ConversationHandler = z.enum(["assistant", "staff"]);

export const Conversation = z.object({
	id: prefixedId("cnv"),
	channel: z.literal("whatsapp"),
	waId: z.string(),
	customerName: z.string().nullable(),
	handler: ConversationHandler,
	assignedUserId: z.string().nullable(),
	handoffReason: z.string().nullable(),
	unreadCount: z.number().int(),
	lastMessageAt: isoDateTime,
	lastMessagePreview: z.string(),
	windowOpenUntil: isoDateTime.nullable().describe("Free-form replies are possible until then; after it only templates"),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationListQuery = z.object({
	handler: ConversationHandler.optional(),
	cursor: z.string().max(300).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ConversationListQuery = z.infer<typeof ConversationListQuery>;
export const ConversationList = z.object({ items: z.array(Conversation), nextCursor: z.string().nullable() });
export type ConversationList = z.infer<typeof ConversationList>;

export const ConversationMessage = z.object({
	id: prefixedId("msg"),
	direction: z.enum(["in", "out"]),
	author: z.enum(["customer", "assistant", "staff", "system"]),
	authorUserId: z.string().nullable(),
	kind: z.string(),
	preview: z.string(),
	content: z.unknown(),
	status: z.enum(["received", "queued", "sending", "sent", "delivered", "read", "failed"]),
	statusAt: isoDateTime,
	errorCode: z.string().nullable(),
	createdAt: isoDateTime,
});
export type ConversationMessage = z.infer<typeof ConversationMessage>;
export const MessageListQuery = z.object({
	cursor: z.string().max(300).optional(),
	limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type MessageListQuery = z.infer<typeof MessageListQuery>;
export const MessageList = z.object({ items: z.array(ConversationMessage), nextCursor: z.string().nullable() });
export type MessageList = z.infer<typeof MessageList>;

export const StaffReplyInput = z.object({ text: plainText(4096) }).strict();
export type StaffReplyInput = z.infer<typeof StaffReplyInput>;

export const AssignInput = z
	.object({ userId: prefixedId("usr").optional().describe("The staff member taking over; defaults to the caller") })
	.strict();
export type AssignInput = z.infer<typeof AssignInput>;

export const ConversationParams = z.object({ storeId: prefixedId("st"), conversationId: prefixedId("cnv") });
