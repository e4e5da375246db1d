import { describe, expect, it } from "vitest";
import { inboundMessageEnvelope, inboundWamid, newWamid, SANDBOX_WABA_ID, statusEnvelope } from "../src/envelopes.ts";

// Each expectation is the example from Meta's webhook reference ("Messages" webhook: text,
// interactive, order, image, location; "Status messages"), with Meta's placeholders filled in.
const from = { phoneNumberId: "106540352242922", displayPhoneNumber: "15550783881", waId: "2348031234567", name: "Ada" };
const T = 1_717_000_000;

/** The single message (or status) in an envelope, after checking the envelope around it. */
function only(envelope: Record<string, unknown>, key: "messages" | "statuses"): Record<string, unknown> {
	const e = envelope as {
		object: string;
		entry: { id: string; changes: { field: string; value: Record<string, unknown[]> }[] }[];
	};
	expect(e.object).toBe("whatsapp_business_account");
	expect(e.entry).toHaveLength(1);
	expect(e.entry[0]?.changes).toHaveLength(1);
	expect(e.entry[0]?.changes[0]?.field).toBe("messages");
	const list = e.entry[0]?.changes[0]?.value[key];
	expect(list).toHaveLength(1);
	return list?.[0] as Record<string, unknown>;
}

describe("inboundMessageEnvelope", () => {
	it("builds Meta's text message example field by field", () => {
		const envelope = inboundMessageEnvelope({ ...from, wabaId: "102290129340398" }, [
			{ type: "text", body: "Hello <world> & ₦", id: "wamid.ABC", timestamp: T },
		]);
		expect(envelope).toEqual({
			object: "whatsapp_business_account",
			entry: [
				{
					id: "102290129340398",
					changes: [
						{
							value: {
								messaging_product: "whatsapp",
								metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
								contacts: [{ profile: { name: "Ada" }, wa_id: "2348031234567" }],
								messages: [
									{
										from: "2348031234567",
										id: "wamid.ABC",
										timestamp: "1717000000",
										text: { body: "Hello <world> & ₦" },
										type: "text",
									},
								],
							},
							field: "messages",
						},
					],
				},
			],
		});
		// JSON round trip: nothing undefined or non-JSON hides in it.
		expect(JSON.parse(JSON.stringify(envelope))).toEqual(envelope);
	});

	it("defaults ids to fresh wamids, timestamps to now in seconds, the WABA id and an empty profile name", () => {
		const before = Math.floor(Date.now() / 1000);
		const envelope = inboundMessageEnvelope({ ...from, name: undefined }, [
			{ type: "text", body: "a" },
			{ type: "text", body: "b" },
		]);
		const value = (envelope as { entry: { id: string; changes: { value: Record<string, unknown> }[] }[] }).entry[0];
		expect(value?.id).toBe(SANDBOX_WABA_ID);
		const messages = value?.changes[0]?.value.messages as { id: string; timestamp: string }[];
		expect(messages).toHaveLength(2);
		expect(messages[0]?.id).toMatch(/^wamid\.[A-Za-z0-9+/]+$/);
		expect(messages[0]?.id).not.toBe(messages[1]?.id);
		expect(Number(messages[0]?.timestamp)).toBeGreaterThanOrEqual(before);
		expect(messages[0]?.timestamp).toMatch(/^\d{10}$/);
		expect(value?.changes[0]?.value.contacts).toEqual([{ profile: { name: "" }, wa_id: from.waId }]);
	});

	it("strips a display number to digits, as Meta shows it", () => {
		const envelope = inboundMessageEnvelope({ ...from, displayPhoneNumber: "+1 555-078-3881" }, [
			{ type: "text", body: "x", contextId: "wamid.PREV" },
		]);
		const value = (envelope as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]?.changes[0]?.value;
		expect(value?.metadata).toEqual({ display_phone_number: "15550783881", phone_number_id: from.phoneNumberId });
		expect(only(envelope, "messages").context).toEqual({ from: "15550783881", id: "wamid.PREV" });
	});

	it("builds a reply button press as an interactive button_reply quoting the message", () => {
		const m = only(
			inboundMessageEnvelope(from, [{ type: "button_reply", id: "confirm_ord_1", title: "Confirm", contextId: "wamid.SENT" }]),
			"messages",
		);
		expect(m).toMatchObject({
			context: { from: "15550783881", id: "wamid.SENT" },
			from: "2348031234567",
			type: "interactive",
			interactive: { type: "button_reply", button_reply: { id: "confirm_ord_1", title: "Confirm" } },
		});
		expect(Object.keys(m).sort()).toEqual(["context", "from", "id", "interactive", "timestamp", "type"]);
		expect(Object.keys(m.interactive as object).sort()).toEqual(["button_reply", "type"]);
	});

	it("keeps a reply's option id apart from the message's wamid", () => {
		const [withWamid, without] = [
			only(inboundMessageEnvelope(from, [{ type: "button_reply", id: "yes", title: "Yes", wamid: "wamid.IN" }]), "messages"),
			only(inboundMessageEnvelope(from, [{ type: "list_reply", id: "row_1", title: "Row" }]), "messages"),
		];
		expect(withWamid.id).toBe("wamid.IN");
		expect(withWamid.interactive).toMatchObject({ button_reply: { id: "yes" } });
		expect(without.id).toMatch(/^wamid\./);
		expect(inboundWamid({ type: "text", body: "x", id: "wamid.T" })).toBe("wamid.T");
		expect(inboundWamid({ type: "text", body: "x", id: "wamid.T", wamid: "wamid.W" })).toBe("wamid.W");
	});

	it("builds a list row pick as an interactive list_reply, description only when given", () => {
		const withDescription = only(
			inboundMessageEnvelope(from, [{ type: "list_reply", id: "p_1", title: "Ankara", description: "6 yards" }]),
			"messages",
		);
		expect(withDescription.type).toBe("interactive");
		expect(withDescription.interactive).toEqual({
			type: "list_reply",
			list_reply: { id: "p_1", title: "Ankara", description: "6 yards" },
		});
		// Meta always quotes the list message being answered.
		expect(withDescription.context).toEqual({ from: "15550783881", id: expect.stringMatching(/^wamid\./) });
		const without = only(inboundMessageEnvelope(from, [{ type: "list_reply", id: "p_2", title: "Aso oke" }]), "messages");
		expect(without.interactive).toEqual({ type: "list_reply", list_reply: { id: "p_2", title: "Aso oke" } });
	});

	it("builds a cart sent from the catalog as an order with numeric quantities and prices", () => {
		const m = only(
			inboundMessageEnvelope(from, [
				{
					type: "order",
					catalogId: "cat_1",
					text: "Please deliver today",
					items: [
						{ productRetailerId: "sku_1", quantity: 2, itemPrice: 12500, currency: "NGN" },
						{ productRetailerId: "sku_2", quantity: 1, itemPrice: 300.5, currency: "NGN" },
					],
					timestamp: T,
				},
			]),
			"messages",
		);
		expect(m).toEqual({
			from: "2348031234567",
			id: expect.stringMatching(/^wamid\./),
			timestamp: "1717000000",
			type: "order",
			order: {
				catalog_id: "cat_1",
				text: "Please deliver today",
				product_items: [
					{ product_retailer_id: "sku_1", quantity: 2, item_price: 12500, currency: "NGN" },
					{ product_retailer_id: "sku_2", quantity: 1, item_price: 300.5, currency: "NGN" },
				],
			},
		});
	});

	it("builds an image with Meta's media fields", () => {
		const m = only(
			inboundMessageEnvelope(from, [
				{ type: "image", mediaId: "1234567890", mimeType: "image/png", caption: "this one", sha256: "abc=" },
			]),
			"messages",
		);
		expect(m.type).toBe("image");
		expect(m.image).toEqual({ caption: "this one", mime_type: "image/png", sha256: "abc=", id: "1234567890" });
		const bare = only(inboundMessageEnvelope(from, [{ type: "image", mediaId: "42" }]), "messages");
		expect(bare.image).toEqual({ mime_type: "image/jpeg", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), id: "42" });
	});

	it("builds a shared location with numeric coordinates", () => {
		const m = only(
			inboundMessageEnvelope(from, [
				{ type: "location", latitude: 6.4281, longitude: 3.4219, name: "Shop", address: "1 Adeola Odeku, Lagos" },
			]),
			"messages",
		);
		expect(m.type).toBe("location");
		expect(m.location).toEqual({ latitude: 6.4281, longitude: 3.4219, name: "Shop", address: "1 Adeola Odeku, Lagos" });
		expect(only(inboundMessageEnvelope(from, [{ type: "location", latitude: 0, longitude: 0 }]), "messages").location).toEqual({
			latitude: 0,
			longitude: 0,
		});
	});
});

describe("statusEnvelope", () => {
	it("builds Meta's sent status example with conversation and pricing", () => {
		const envelope = statusEnvelope("106540352242922", "15550783881", [
			{ wamid: "wamid.OUT", status: "sent", recipientWaId: "2348031234567", timestamp: T },
		]);
		expect(envelope).toEqual({
			object: "whatsapp_business_account",
			entry: [
				{
					id: SANDBOX_WABA_ID,
					changes: [
						{
							value: {
								messaging_product: "whatsapp",
								metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
								statuses: [
									{
										id: "wamid.OUT",
										status: "sent",
										timestamp: "1717000000",
										recipient_id: "2348031234567",
										conversation: {
											id: expect.stringMatching(/^[0-9a-f]{32}$/),
											expiration_timestamp: String(T + 86_400),
											origin: { type: "service" },
										},
										pricing: { billable: true, pricing_model: "CBP", category: "service" },
									},
								],
							},
							field: "messages",
						},
					],
				},
			],
		});
	});

	it("keeps one conversation id per customer across statuses", () => {
		const s = (status: "sent" | "delivered", waId: string) =>
			only(statusEnvelope("1", "1", [{ wamid: "wamid.X", status, recipientWaId: waId }]), "statuses").conversation as {
				id: string;
			};
		expect(s("sent", "234801").id).toBe(s("delivered", "234801").id);
		expect(s("sent", "234801").id).not.toBe(s("sent", "234802").id);
	});

	it("builds read without billing and failed with Meta's errors array", () => {
		const read = only(
			statusEnvelope("1", "1", [{ wamid: "wamid.R", status: "read", recipientWaId: "2348", timestamp: T }]),
			"statuses",
		);
		expect(read).toEqual({ id: "wamid.R", status: "read", timestamp: "1717000000", recipient_id: "2348" });
		const failed = only(
			statusEnvelope(
				"1",
				"1",
				[
					{
						wamid: "wamid.F",
						status: "failed",
						recipientWaId: "2348",
						timestamp: T,
						error: { code: 131026, title: "Message undeliverable" },
					},
				],
				"999",
			),
			"statuses",
		);
		expect(failed).toEqual({
			id: "wamid.F",
			status: "failed",
			timestamp: "1717000000",
			recipient_id: "2348",
			errors: [
				{
					code: 131026,
					title: "Message undeliverable",
					message: "Message undeliverable",
					error_data: { details: "Message undeliverable" },
				},
			],
		});
		const untitled = only(statusEnvelope("1", "1", [{ wamid: "wamid.F", status: "failed", recipientWaId: "2" }]), "statuses");
		expect(untitled.errors).toEqual([expect.objectContaining({ code: 131000 })]);
	});

	it("carries several statuses in one change, in order", () => {
		const envelope = statusEnvelope("1", "1", [
			{ wamid: "wamid.A", status: "delivered", recipientWaId: "2" },
			{ wamid: "wamid.B", status: "read", recipientWaId: "2" },
		]) as { entry: { changes: { value: { statuses: { id: string; status: string }[] } }[] }[] };
		expect(envelope.entry[0]?.changes[0]?.value.statuses.map((s) => `${s.id}:${s.status}`)).toEqual([
			"wamid.A:delivered",
			"wamid.B:read",
		]);
	});
});

describe("newWamid", () => {
	it("mints unique wamid.<base64> ids", () => {
		const ids = new Set(Array.from({ length: 200 }, newWamid));
		expect(ids.size).toBe(200);
		for (const id of ids) {
			expect(id).toMatch(/^wamid\.[A-Za-z0-9+/]{48}$/);
		}
	});
});
