import { WEBHOOK_EVENT_TYPES } from "@oja/contracts";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../src/contracts.ts";
import { EVENT_SUBSCRIPTIONS } from "../src/routing.ts";

const queuesFor = (type: string, payload: unknown) =>
	Object.entries(EVENT_SUBSCRIPTIONS)
		.filter(([, wants]) => wants({ type, payload }))
		.map(([binding]) => binding)
		.sort();

describe("event routing", () => {
	const movement = (crossed: unknown) => ({ storeId: "st_x", orderId: "ord_x", reason: "checkout", lines: [], crossed });

	it("sends a stock movement to the storefront cache only when it moved a label", () => {
		expect(queuesFor("inventory.reserved", movement([]))).toEqual(["EVENTS"]);
		expect(queuesFor("inventory.released", movement([]))).toEqual(["EVENTS"]);
		const crossed = [{ variantId: "var_x", handle: "ankara-dress" }];
		expect(queuesFor("inventory.reserved", movement(crossed))).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
		expect(queuesFor("inventory.released", movement(crossed))).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
	});

	it("lets the consumer judge a payload it cannot read (it validates and retries)", () => {
		expect(queuesFor("inventory.reserved", null)).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
		expect(queuesFor("inventory.reserved", movement("all"))).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
	});

	it("routes the rest by type", () => {
		expect(queuesFor("inventory.adjusted", {})).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
		expect(queuesFor("catalog.product.updated", {})).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
		expect(queuesFor("identity.store.updated", {})).toEqual(["EVENTS", "STOREFRONT_CACHE"]);
		expect(queuesFor("order.created", {})).toEqual(["EVENTS", "ORDER_EVENTS", "WEBHOOK_EVENTS"]);
		expect(queuesFor("delivery.completed", {})).toEqual(["EVENTS", "WEBHOOK_EVENTS"]);
		expect(queuesFor("cart.abandoned", {})).toEqual(["EVENTS", "WEBHOOK_EVENTS"]);
		expect(queuesFor("identity.user.created", {})).toEqual(["EVENTS"]);
		// Payout notices are the merchant's email, not a webhook subscription.
		expect(queuesFor("payout.completed", {})).toEqual(["EVENTS", "MESSAGING_EVENTS"]);
		expect(queuesFor("payout.failed", {})).toEqual(["EVENTS", "MESSAGING_EVENTS"]);
	});

	it("sends merchants' webhooks only events that exist", () => {
		for (const type of WEBHOOK_EVENT_TYPES) expect(EVENT_TYPES).toContain(type);
	});
});
