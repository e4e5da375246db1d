// A chat cart left idle gets one reminder on WhatsApp. Carts here are abandoned after two idle
// seconds (vitest.config.ts overrides CART_IDLE_SECONDS for this file).
import { env } from "cloudflare:workers";
import { asMerchant, eventually, gateway, jsonOf } from "@oja/test-helpers";
import { inboundMessageEnvelope, signWhatsAppBody } from "@oja/whatsapp";
import { listMessages, registerNumber, setWindow } from "@oja/whatsapp-sandbox/admin";
import { describe, expect, it } from "vitest";
import { openShop } from "./commerce-fixtures.ts";

const admin = () => env.TEST_WHATSAPP_ADMIN;
const appSecret = () => (env as unknown as { WHATSAPP_APP_SECRET: string }).WHATSAPP_APP_SECRET;
const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join("");

describe("abandoned chat carts", () => {
	it("send one reminder to the customer who chatted, and none for a cart that was not theirs", async () => {
		const shop = await openShop([5]);
		const phoneNumberId = `10${digits(13)}`;
		const accessToken = `EAAG${digits(40)}`;
		await registerNumber(admin(), { phoneNumberId, displayPhoneNumber: "+234 1 555 0000", accessToken });
		await jsonOf(
			await asMerchant(shop.m, "PUT", `/v1/stores/${shop.m.storeId}/channels/whatsapp`, {
				phoneNumberId,
				displayPhoneNumber: "+234 1 555 0000",
				accessToken,
			}),
		);
		const waId = `2348${digits(9)}`;
		await setWindow(admin(), { phoneNumberId, waId, lastInboundAt: new Date().toISOString() });
		const body = JSON.stringify(
			inboundMessageEnvelope({ phoneNumberId, displayPhoneNumber: "2341", waId }, [
				{ type: "text", body: "I wan buy ankara print" },
			]),
		);
		const res = await gateway("/webhooks/whatsapp", {
			method: "POST",
			headers: { "content-type": "application/json", "x-hub-signature-256": await signWhatsAppBody(body, appSecret()) },
			body,
		});
		expect(res.status).toBe(200);
		const sent = () => listMessages(admin(), { phoneNumberId, to: waId });
		const [added] = await eventually(async () => {
			const all = await sent();
			return all.length >= 1 ? all : undefined;
		});
		expect(added?.body).toContain("Added to your cart");
		// The cart goes idle; commerce reports it abandoned; messaging reminds once.
		const reminder = await eventually(
			async () => {
				const all = await sent();
				return all.length >= 2 ? all[1] : undefined;
			},
			25_000,
			"the reminder",
		);
		expect(reminder?.body).toContain("You left 1 item(s) (₦1,000");
		await new Promise((r) => setTimeout(r, 4000));
		expect(await sent()).toHaveLength(2);
	});
});
