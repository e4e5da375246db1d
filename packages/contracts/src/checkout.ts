import { z } from "zod";
import { email, plainText } from "./fields.ts";

/**
 * A shopper's phone as typed on a Nigerian storefront: international (+234…) or local
 * (0803…, 11 digits), normalised to E.164 so WhatsApp and SMS can use it.
 */
export const shopperPhone = z
	.string()
	.trim()
	.transform((raw) => raw.replace(/[\s()-]/g, ""))
	.transform((digits) => (/^0\d{10}$/.test(digits) ? `+234${digits.slice(1)}` : digits))
	.pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, { message: "Enter a phone number like 0803 123 4567 or +234 803 123 4567" }));

const optional = <T extends z.ZodType>(schema: T) =>
	z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

/** Who is buying and where it goes: what the checkout form collects before payment. */
export const CheckoutDetails = z.object({
	fullName: plainText(100),
	phone: shopperPhone,
	email: optional(email),
	address: plainText(200),
	city: plainText(60),
	state: plainText(60),
	note: optional(plainText(500)),
});
export type CheckoutDetails = z.infer<typeof CheckoutDetails>;
