import { z } from "zod";
import { email, newPassword } from "./fields.ts";

// Email verification and password reset, for merchants and shoppers alike. Tokens are opaque
// (`ev_…` verification, `pr_…` reset) and arrive from a link in an email.

export const AccountToken = z
	.string()
	.regex(/^(ev|pr)_[A-Za-z0-9_-]{40,100}$/, { message: "Not a token from an Oja email" })
	.describe("The token from the emailed link");

export const PasswordResetRequestInput = z.object({ email }).strict();
export type PasswordResetRequestInput = z.infer<typeof PasswordResetRequestInput>;

export const EmailVerificationConfirmInput = z.object({ token: AccountToken }).strict();
export type EmailVerificationConfirmInput = z.infer<typeof EmailVerificationConfirmInput>;

export const PasswordResetConfirmInput = z.object({ token: AccountToken, password: newPassword }).strict();
export type PasswordResetConfirmInput = z.infer<typeof PasswordResetConfirmInput>;

export const Accepted = z.object({
	accepted: z.literal(true).describe("Always true: whether an email went out is not revealed"),
});
export type Accepted = z.infer<typeof Accepted>;
