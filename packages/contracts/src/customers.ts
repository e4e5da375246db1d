import { z } from "zod";
import { email, isoDateTime, newPassword, plainText, prefixedId } from "./fields.ts";

export const CustomerSignupInput = z
	.object({
		email,
		password: newPassword,
		name: plainText(100),
	})
	.strict();
export type CustomerSignupInput = z.infer<typeof CustomerSignupInput>;

export const CustomerLoginInput = z.object({ email, password: z.string().min(1).max(256) }).strict();
export type CustomerLoginInput = z.infer<typeof CustomerLoginInput>;

export const Customer = z.object({
	id: prefixedId("cus"),
	storeId: prefixedId("st"),
	email: z.string().nullable().describe("Null for a guest who checked out with a phone number only"),
	name: z.string().nullable(),
	hasAccount: z.boolean().describe("False for a guest (created by checkout)"),
	createdAt: isoDateTime,
});
export type Customer = z.infer<typeof Customer>;

export const CustomerAuthResult = z.object({
	customer: Customer,
	accessToken: z.string().describe("ES256 JWT, audience `storefront`, bound to this store, valid 1 hour"),
});
export type CustomerAuthResult = z.infer<typeof CustomerAuthResult>;

/** A signed-in shopper, from a storefront token. Bound to one store. */
export interface CustomerPrincipal {
	kind: "customer";
	customerId: string;
	sessionId: string;
	storeId: string;
}
