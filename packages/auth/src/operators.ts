import { hashPassword } from "./password.ts";
import { seal } from "./secret-box.ts";
import { generateTotpSecret, otpauthUri } from "./totp.ts";

function randomPassword(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(18));
	let s = "";
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Fresh credentials for a new operator: a random password and TOTP seed to show once, and
 * what to store (the password hash and the sealed seed). Used by the provisioning CLI.
 */
export async function newOperatorCredentials(email: string, totpKey: string) {
	const password = randomPassword();
	const totpSecret = generateTotpSecret();
	return {
		password,
		totpSecret,
		otpauthUri: otpauthUri(totpSecret, email),
		passwordHash: await hashPassword(password),
		totpSecretSealed: await seal(totpKey, totpSecret),
	};
}
