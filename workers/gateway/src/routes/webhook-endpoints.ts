import {
	CreateWebhookEndpointInput,
	StoreIdParam,
	WebhookDelivery,
	WebhookDeliveryAttemptList,
	WebhookDeliveryList,
	WebhookDeliveryListQuery,
	WebhookDeliveryParams,
	WebhookEndpoint,
	WebhookEndpointList,
	WebhookEndpointParams,
	WebhookEndpointWithSecret,
} from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

// Merchants' outbound webhooks (the messaging Worker owns endpoints and deliveries). Managing
// them is person-only (webhooks:manage): an endpoint registered with a stolen API key would keep
// receiving every order after the key is revoked.

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;
const TAGS = ["webhooks"];

export const webhookEndpointRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/webhook-endpoints",
			operationId: "createWebhookEndpoint",
			summary: "Register an endpoint for events (the signing secret is in this response only)",
			description:
				"https only; private, loopback, link-local, CGNAT, unique-local, multicast and metadata addresses are refused, here and before every delivery after DNS resolution.",
			tags: TAGS,
			params: StoreIdParam,
			body: CreateWebhookEndpointInput,
			responses: { 201: { description: "The endpoint and its secret", schema: WebhookEndpointWithSecret } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("webhooks:manage")],
		async (c, { body }) => sendResult(c, await c.env.MESSAGING.createWebhookEndpoint(storeAccessOf(c), body, rpcContext(c)), 201),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/webhook-endpoints",
			operationId: "listWebhookEndpoints",
			summary: "The store's webhook endpoints, newest first (never their secrets)",
			tags: TAGS,
			params: StoreIdParam,
			responses: { 200: { description: "The endpoints", schema: WebhookEndpointList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c) => sendResult(c, await c.env.MESSAGING.listWebhookEndpoints(storeAccessOf(c), rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId",
			operationId: "getWebhookEndpoint",
			summary: "One endpoint, with disabledAt/disabledReason if it was disabled",
			tags: TAGS,
			params: WebhookEndpointParams,
			responses: { 200: { description: "The endpoint", schema: WebhookEndpoint } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.MESSAGING.getWebhookEndpoint(storeAccessOf(c), params.endpointId, rpcContext(c))),
	)
	.declare(
		{
			method: "delete",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId",
			operationId: "deleteWebhookEndpoint",
			summary: "Delete an endpoint and its delivery log; nothing more is sent to it",
			tags: TAGS,
			params: WebhookEndpointParams,
			responses: { 204: { description: "Deleted" } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params }) => {
			unwrap(await c.env.MESSAGING.deleteWebhookEndpoint(storeAccessOf(c), params.endpointId, rpcContext(c)));
			return c.body(null, 204);
		},
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId/rotate-secret",
			operationId: "rotateWebhookSecret",
			summary: "A new signing secret (in this response only); the old one also signs for 24 hours",
			tags: TAGS,
			params: WebhookEndpointParams,
			responses: { 200: { description: "The endpoint and its new secret", schema: WebhookEndpointWithSecret } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.MESSAGING.rotateWebhookSecret(storeAccessOf(c), params.endpointId, rpcContext(c))),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId/enable",
			operationId: "enableWebhookEndpoint",
			summary: "Turn a disabled endpoint back on (new events only; redeliver missed ones)",
			tags: TAGS,
			params: WebhookEndpointParams,
			responses: { 200: { description: "The endpoint", schema: WebhookEndpoint } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params }) =>
			sendResult(c, await c.env.MESSAGING.enableWebhookEndpoint(storeAccessOf(c), params.endpointId, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId/deliveries",
			operationId: "listWebhookDeliveries",
			summary: "The endpoint's delivery log, newest first: event, status, response code, duration, attempts (cursor pagination)",
			tags: TAGS,
			params: WebhookEndpointParams,
			query: WebhookDeliveryListQuery,
			responses: { 200: { description: "A page of deliveries", schema: WebhookDeliveryList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params, query }) =>
			sendResult(c, await c.env.MESSAGING.listWebhookDeliveries(storeAccessOf(c), params.endpointId, query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId/deliveries/:deliveryId/attempts",
			operationId: "listWebhookDeliveryAttempts",
			summary: "Every attempt of one delivery, oldest first: attempt number, status, response code, duration, error",
			description:
				"The newest 25 attempts of a delivery are kept (the automatic schedule makes at most ten). Response bodies are never stored.",
			tags: TAGS,
			params: WebhookDeliveryParams,
			responses: { 200: { description: "The delivery's attempts", schema: WebhookDeliveryAttemptList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params }) =>
			sendResult(
				c,
				await c.env.MESSAGING.listWebhookDeliveryAttempts(storeAccessOf(c), params.endpointId, params.deliveryId, rpcContext(c)),
			),
	)
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/webhook-endpoints/:endpointId/deliveries/:deliveryId/redeliver",
			operationId: "redeliverWebhook",
			summary: "Send the delivery's event again now, as a new delivery (same Oja-Event-Id)",
			tags: TAGS,
			params: WebhookDeliveryParams,
			responses: { 202: { description: "The new delivery, queued", schema: WebhookDelivery } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("webhooks:manage")],
		async (c, { params }) =>
			sendResult(
				c,
				await c.env.MESSAGING.redeliverWebhook(storeAccessOf(c), params.endpointId, params.deliveryId, rpcContext(c)),
				202,
			),
	).app;
