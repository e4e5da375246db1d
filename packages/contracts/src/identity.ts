import { z } from "zod";
import { currency, email, isoDateTime, newPassword, plainText, prefixedId, slug } from "./fields.ts";

export const SignupInput = z
	.object({
		email,
		password: newPassword,
		name: plainText(100),
		storeName: plainText(80),
		storeSlug: slug,
		currency: currency.default("NGN"),
	})
	.strict();
export type SignupInput = z.infer<typeof SignupInput>;

export const User = z.object({
	id: prefixedId("usr"),
	email: z.string(),
	name: z.string(),
	createdAt: isoDateTime,
});
export type User = z.infer<typeof User>;

export const Store = z.object({
	id: prefixedId("st"),
	slug: z.string(),
	name: z.string(),
	currency,
	createdAt: isoDateTime,
});
export type Store = z.infer<typeof Store>;

export const SignupResult = z.object({
	user: User,
	store: Store,
	accessToken: z.string().describe("ES256 JWT; send as `Authorization: Bearer …`"),
});
export type SignupResult = z.infer<typeof SignupResult>;

export const PublicStore = Store.pick({ id: true, slug: true, name: true, currency: true }).extend({
	contact: z.object({ email: z.string().nullable(), phone: z.string().nullable() }),
	showStockCounts: z.boolean(),
});
export type PublicStore = z.infer<typeof PublicStore>;
