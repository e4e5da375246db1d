import { z } from "zod";
import { MemberRole } from "./auth.ts";
import { CustomDomain, hostname } from "./domains.ts";
import { email, isoDateTime, plainText, prefixedId } from "./fields.ts";
import { Store } from "./identity.ts";

export const StoreIdParam = z.object({ storeId: prefixedId("st") });

/** International format (E.164): what WhatsApp links and SMS need. */
export const phoneNumber = z.string().regex(/^\+[1-9]\d{6,14}$/, { message: "Use international format, e.g. +2348012345678" });

export const StoreContact = z.object({ email: z.string().nullable(), phone: z.string().nullable() });

export const StoreDetails = Store.extend({
	role: MemberRole.describe("The caller's role in this store"),
	contact: StoreContact,
	showStockCounts: z.boolean().describe("Storefront shows exact available counts instead of in-stock/low/sold-out"),
	customDomain: z.string().nullable().describe("The store's own domain; served only once verified (see domain)"),
	domain: CustomDomain.nullable().describe("The custom domain's verification state and the TXT record that proves ownership"),
});
export type StoreDetails = z.infer<typeof StoreDetails>;

export const UpdateStoreInput = z
	.object({
		name: plainText(80),
		contact: z.object({ email: email.nullable(), phone: phoneNumber.nullable() }).partial().strict(),
		showStockCounts: z.boolean(),
		customDomain: hostname.nullable(),
	})
	.partial()
	.strict()
	.refine((u) => Object.keys(u).length > 0, { message: "Nothing to update" });
export type UpdateStoreInput = z.infer<typeof UpdateStoreInput>;

export const Member = z.object({
	userId: prefixedId("usr"),
	email: z.string(),
	name: z.string(),
	role: MemberRole,
	createdAt: isoDateTime,
});
export type Member = z.infer<typeof Member>;

export const AddMemberInput = z.object({ email, role: MemberRole }).strict();
export type AddMemberInput = z.infer<typeof AddMemberInput>;

export const MemberParams = StoreIdParam.extend({ userId: prefixedId("usr") });

/**
 * Only secret live keys exist (issue 8): `sk_test_` keys had no test data to act on and
 * `pk_` keys authenticated nothing. `kind` and `mode` are still accepted with their one value,
 * so existing clients that send them keep working; anything else is a 422 naming the field.
 */
export const CreateApiKeyInput = z
	.object({
		name: plainText(60),
		kind: z
			.literal("secret", { error: "Only secret keys exist; publishable keys were removed" })
			.default("secret")
			.describe("Always `secret` (publishable keys were removed)"),
		mode: z
			.literal("live", { error: "Only live keys exist; test-mode keys were removed" })
			.default("live")
			.describe("Always `live` (test-mode keys were removed)"),
		role: MemberRole.exclude(["owner"]).describe("What the key may do: admin or staff; an API key is never an owner"),
	})
	.strict();
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;

export const ApiKeyInfo = z.object({
	id: prefixedId("key"),
	name: z.string(),
	kind: z.enum(["secret", "publishable"]),
	mode: z.enum(["live", "test"]),
	role: MemberRole.nullable(),
	prefix: z.string(),
	createdAt: isoDateTime,
	lastUsedAt: isoDateTime.nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export const CreatedApiKey = ApiKeyInfo.extend({ key: z.string().describe("Shown once; store it now") });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyParams = StoreIdParam.extend({ keyId: prefixedId("key") });

/** A verified store-scoped caller: the gateway resolved the store from the route and checked the role. */
export interface StoreAccess {
	storeId: string;
	role: z.infer<typeof MemberRole>;
	/** The user acting, or null for a secret API key. */
	userId: string | null;
	/** The user's session (checked live when this was resolved), or null for a secret API key. */
	sessionId: string | null;
	apiKeyId: string | null;
}
