import { z } from "zod";

// Custom domains: the hostname rules both the gateway (which hosts it serves from KV) and
// identity (which domains a store may claim) apply, so the two cannot disagree.

const HOSTNAME = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * A hostname in the one form Oja stores and compares: lowercase ASCII (IDN labels as
 * punycode), no trailing dot. The WHATWG URL parser applies IDNA/UTS-46 mapping, so
 * `ＯＪＡ。dev`, `OJA.dev.` and `oja.dev` all become `oja.dev`; anything that is not a
 * plain DNS name (ports, paths, IP literals, empty labels) gives undefined.
 */
export function normalizeHostname(input: string): string | undefined {
	const trimmed = input.trim();
	if (trimmed.length === 0 || trimmed.length > 253 || /[/:?#@\\\s[\]%]/.test(trimmed)) return undefined;
	let host: string;
	try {
		host = new URL(`http://${trimmed}/`).hostname;
	} catch {
		return undefined;
	}
	if (host.endsWith(".")) host = host.slice(0, -1);
	return HOSTNAME.test(host) ? host : undefined;
}

/** A comma-separated host list from config (PLATFORM_HOSTS), normalised the same way. */
export function parseHostList(csv: string | undefined): string[] {
	const hosts = new Set<string>();
	for (const raw of (csv ?? "").split(",")) {
		const entry = raw.trim().toLowerCase().replace(/\.$/, "");
		if (!entry) continue;
		// IP literals and single-label dev hosts (localhost) are kept as written.
		hosts.add(normalizeHostname(entry) ?? entry);
	}
	return [...hosts];
}

/** The platform's own hosts and every name under them (api.oja.dev, x.localhost) belong to Oja. */
export function isPlatformHost(host: string, platformHosts: readonly string[]): boolean {
	const h = host.toLowerCase().replace(/\.$/, "");
	return platformHosts.some((p) => h === p || h.endsWith(`.${p}`));
}

/** A hostname the merchant points at Oja, normalised (see normalizeHostname). */
export const hostname = z
	.string()
	.max(253)
	.transform((value, ctx) => {
		const host = normalizeHostname(value);
		if (host === undefined) {
			ctx.addIssue({ code: "custom", message: "Use a hostname like shop.example.com" });
			return z.NEVER;
		}
		return host;
	});

export const CustomDomainStatus = z
	.enum(["pending", "verified", "failed"])
	.describe(
		"pending: claimed, ownership not yet proven (not served); verified: proven, served; failed: was verified but the TXT record went away (not served until verified again)",
	);
export type CustomDomainStatus = z.infer<typeof CustomDomainStatus>;

export const CustomDomain = z.object({
	name: z.string().describe("The hostname, normalised (lowercase, punycode)"),
	status: CustomDomainStatus,
	verification: z
		.object({
			type: z.literal("TXT"),
			name: z.string().describe("The DNS name to create the record at"),
			value: z.string().describe("The record's exact value"),
		})
		.describe("Create this DNS record, then call verify; keep it while the domain is in use"),
	verifiedAt: z.string().nullable(),
	checkedAt: z.string().nullable().describe("When ownership was last checked"),
});
export type CustomDomain = z.infer<typeof CustomDomain>;

/** Where a store proves it controls a domain: a TXT record under the domain itself. */
export const challengeRecordName = (domain: string) => `_oja-challenge.${domain}`;
export const challengeRecordValue = (token: string) => `oja-verify=${token}`;
