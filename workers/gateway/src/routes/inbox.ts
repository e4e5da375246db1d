import {
	AssignInput,
	Conversation,
	ConversationList,
	ConversationListQuery,
	ConversationParams,
	MessageList,
	MessageListQuery,
	StaffReplyInput,
	StoreIdParam,
	WhatsAppChannel,
	WhatsAppChannelInput,
} from "@oja/contracts";
import { z } from "zod";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult } from "../validate.ts";

// The merchant inbox (WhatsApp conversations) and the store's WhatsApp channel settings.

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

export const inboxRoutes = routeGroup()
	.declare(
		{
			method: "put",
			path: "/v1/stores/:storeId/channels/whatsapp",
			operationId: "putWhatsAppChannel",
			summary: "Connect the store's WhatsApp Business number (the access token is stored encrypted, never returned)",
			tags: ["messaging"],
			params: StoreIdParam,
			body: WhatsAppChannelInput,
			responses: { 200: { description: "The channel", schema: WhatsAppChannel } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("store:update")],
		async (c, { body }) => sendResult(c, await c.env.MESSAGING.putWhatsAppChannel(storeAccessOf(c), body, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/channels/whatsapp",
			operationId: "getWhatsAppChannel",
			summary: "The store's WhatsApp number (without its token)",
			tags: ["messaging"],
			params: StoreIdParam,
			responses: { 200: { description: "The channel", schema: WhatsAppChannel } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c) => sendResult(c, await c.env.MESSAGING.getWhatsAppChannel(storeAccessOf(c), rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/conversations",
			operationId: "listConversations",
			summary: "Conversations: unread first, then most recent (cursor pagination; filter by handler)",
			tags: ["messaging"],
			params: StoreIdParam,
			query: ConversationListQuery,
			responses: { 200: { description: "A page of conversations", schema: ConversationList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c, { query }) => sendResult(c, await c.env.MESSAGING.listConversations(storeAccessOf(c), query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/conversations/:conversationId",
			operationId: "getConversation",
			summary: "One conversation",
			tags: ["messaging"],
			params: ConversationParams,
			responses: { 200: { description: "The conversation", schema: Conversation } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.MESSAGING.getConversation(storeAccessOf(c), params.conversationId, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/conversations/:conversationId/messages",
			operationId: "listConversationMessages",
			summary: "A conversation's messages, oldest first, with each sent message's delivery status",
			tags: ["messaging"],
			params: ConversationParams,
			query: MessageListQuery,
			responses: { 200: { description: "A page of messages", schema: MessageList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c, { params, query }) =>
			sendResult(c, await c.env.MESSAGING.listMessages(storeAccessOf(c), params.conversationId, query, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/conversations/:conversationId/messages",
			operationId: "sendConversationMessage",
			summary: "Reply as staff (sent through the outbound queue; 409 outside WhatsApp's 24-hour window)",
			description: "An optional Idempotency-Key makes a retried request send the message once.",
			tags: ["messaging"],
			params: ConversationParams,
			body: StaffReplyInput,
			responses: {
				202: {
					description: "Queued for sending",
					schema: z.object({ messageId: z.string(), conversation: Conversation }),
				},
			},
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("inbox:manage")],
		async (c, { params, body }) =>
			sendResult(
				c,
				await c.env.MESSAGING.sendStaffReply(
					storeAccessOf(c),
					params.conversationId,
					body,
					c.req.header("idempotency-key") ?? null,
					rpcContext(c),
				),
				202,
			),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/conversations/:conversationId/assign",
			operationId: "assignConversation",
			summary: "Take the conversation over (the assistant stops replying until it is released)",
			tags: ["messaging"],
			params: ConversationParams,
			body: AssignInput,
			responses: { 200: { description: "The conversation", schema: Conversation } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.MESSAGING.assignConversation(storeAccessOf(c), params.conversationId, body, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/conversations/:conversationId/release",
			operationId: "releaseConversation",
			summary: "Hand the conversation back to the assistant",
			tags: ["messaging"],
			params: ConversationParams,
			responses: { 200: { description: "The conversation", schema: Conversation } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.MESSAGING.releaseConversation(storeAccessOf(c), params.conversationId, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/conversations/:conversationId/read",
			operationId: "markConversationRead",
			summary: "Mark the conversation read",
			tags: ["messaging"],
			params: ConversationParams,
			responses: { 200: { description: "The conversation", schema: Conversation } },
			problems: [...PROBLEMS],
		},
		[storeRoute("inbox:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.MESSAGING.markConversationRead(storeAccessOf(c), params.conversationId, rpcContext(c))),
	).app;
