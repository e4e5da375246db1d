import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { z } from "zod";

// Access tokens are ES256 JWTs: asymmetric, so only identity can mint them while the gateway
// (and anyone holding the JWKS) can verify. The algorithm, issuer and audience are pinned at
// verification, which closes `alg: none`, HS256-with-the-public-key and cross-surface reuse.

export const ALGORITHM = "ES256";

/** Which surface a token is for; a token for one is refused by the others. */
export const AUDIENCES = ["merchant", "storefront", "ops"] as const;
export type Audience = (typeof AUDIENCES)[number];

export const ACCESS_TOKEN_TTL_SECONDS: Record<Audience, number> = {
	merchant: 15 * 60,
	storefront: 60 * 60,
	ops: 15 * 60,
};

const PrivateJwk = z
	.object({ kty: z.literal("EC"), crv: z.literal("P-256"), kid: z.string().min(1), x: z.string(), y: z.string(), d: z.string() })
	.passthrough();

/**
 * `AUTH_SIGNING_KEYS` holds `{"keys": [privateJwk, ...]}`. The first key signs; every key
 * verifies. Rotation: prepend a new key, keep the old one until the longest-lived token
 * it signed has expired, then remove it.
 */
const SigningKeysJson = z.object({ keys: z.array(PrivateJwk).min(1) });

export interface SigningKeys {
	activeKid: string;
	signing: CryptoKey;
	publicJwks: PublicJwk[];
}

export interface PublicJwk {
	kty: "EC";
	crv: "P-256";
	x: string;
	y: string;
	kid: string;
	alg: typeof ALGORITHM;
	use: "sig";
}

export async function loadSigningKeys(json: string): Promise<SigningKeys> {
	const parsed = SigningKeysJson.parse(JSON.parse(json));
	const active = parsed.keys[0] as z.infer<typeof PrivateJwk>;
	const signing = (await importJWK({ ...active, alg: ALGORITHM }, ALGORITHM)) as CryptoKey;
	return {
		activeKid: active.kid,
		signing,
		publicJwks: parsed.keys.map(({ kid, x, y }) => ({ kty: "EC", crv: "P-256", x, y, kid, alg: ALGORITHM, use: "sig" })),
	};
}

/** A fresh private JWK for `AUTH_SIGNING_KEYS` (used by `npm start`, tests and the ops CLI). */
export async function generateSigningJwk(kid: string): Promise<JWK> {
	const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
	return { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM, use: "sig" };
}

export interface AccessClaims {
	/** The user, operator or customer id. */
	sub: string;
	/** The session this token was minted for; revoking the session stops refreshes. */
	sid: string;
	aud: Audience;
	/** Storefront tokens only: the one store the customer belongs to. */
	store?: string;
}

export async function signAccessToken(
	keys: SigningKeys,
	issuer: string,
	claims: AccessClaims,
	now = Date.now(),
): Promise<string> {
	const iat = Math.floor(now / 1000);
	return new SignJWT(claims.store ? { sid: claims.sid, store: claims.store } : { sid: claims.sid })
		.setProtectedHeader({ alg: ALGORITHM, kid: keys.activeKid, typ: "JWT" })
		.setIssuer(issuer)
		.setAudience(claims.aud)
		.setSubject(claims.sub)
		.setJti(crypto.randomUUID())
		.setIssuedAt(iat)
		.setNotBefore(iat)
		.setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS[claims.aud])
		.sign(keys.signing);
}

export interface VerifiedAccess extends AccessClaims {
	jti: string;
	exp: number;
}

export type VerifyFailure = "malformed" | "expired" | "not-yet-valid" | "unknown-key" | "invalid";

export class AccessTokenError extends Error {
	readonly reason: VerifyFailure;
	constructor(reason: VerifyFailure, message: string) {
		super(message);
		this.name = "AccessTokenError";
		this.reason = reason;
	}
}

const Claims = z.object({
	sub: z.string().min(1),
	sid: z.string().min(1),
	jti: z.string().min(1),
	exp: z.number(),
	aud: z.union([z.string(), z.array(z.string())]),
	store: z.string().optional(),
});

// Importing a JWK costs more than verifying a signature; keys are few and long-lived, so
// each is imported once per isolate.
const imported = new Map<string, Promise<CryptoKey>>();

function importedKey(jwk: PublicJwk): Promise<CryptoKey> {
	const id = `${jwk.kid}:${jwk.x}:${jwk.y}`;
	let key = imported.get(id);
	if (!key) {
		key = importJWK(jwk, ALGORITHM) as Promise<CryptoKey>;
		imported.set(id, key);
	}
	return key;
}

/**
 * Verifies against the published public keys. `publicJwks` is the JWKS the gateway caches;
 * an unknown `kid` is reported as such so the caller can refresh its cache once.
 */
export async function verifyAccessToken(
	token: string,
	options: { publicJwks: readonly PublicJwk[]; issuer: string; audience: Audience; now?: number },
): Promise<VerifiedAccess> {
	const keys = new Map(options.publicJwks.map((k) => [k.kid, k]));
	let payload: JWTPayload;
	try {
		({ payload } = await jwtVerify(
			token,
			async (header) => {
				if (header.alg !== ALGORITHM) throw new AccessTokenError("invalid", `algorithm ${header.alg} is not accepted`);
				const jwk = header.kid ? keys.get(header.kid) : undefined;
				if (!jwk) throw new AccessTokenError("unknown-key", `unknown signing key ${header.kid ?? "(none)"}`);
				return importedKey(jwk);
			},
			{
				algorithms: [ALGORITHM],
				issuer: options.issuer,
				audience: options.audience,
				requiredClaims: ["sub", "exp", "iat", "jti"],
				currentDate: options.now === undefined ? undefined : new Date(options.now),
			},
		));
	} catch (error) {
		if (error instanceof AccessTokenError) throw error;
		const code = (error as { code?: string }).code;
		if (code === "ERR_JWT_EXPIRED") throw new AccessTokenError("expired", "token has expired");
		if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && (error as { claim?: string }).claim === "nbf") {
			throw new AccessTokenError("not-yet-valid", "token is not valid yet");
		}
		if (code === "ERR_JWS_INVALID" || code === "ERR_JWT_INVALID") throw new AccessTokenError("malformed", "token is malformed");
		throw new AccessTokenError("invalid", "token is not valid");
	}
	const claims = Claims.safeParse(payload);
	if (!claims.success) throw new AccessTokenError("invalid", "token claims are incomplete");
	return {
		sub: claims.data.sub,
		sid: claims.data.sid,
		aud: options.audience,
		jti: claims.data.jti,
		exp: claims.data.exp,
		...(claims.data.store ? { store: claims.data.store } : {}),
	};
}

/** SHA-256 hex of an opaque secret (refresh tokens, API keys): stored instead of the secret. */
export async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An opaque, URL-safe random secret with a type prefix (e.g. `rt_…` for refresh tokens). */
export function opaqueToken(prefix: string, bytes = 32): string {
	const raw = crypto.getRandomValues(new Uint8Array(bytes));
	let s = "";
	for (const b of raw) s += String.fromCharCode(b);
	return `${prefix}_${btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}
