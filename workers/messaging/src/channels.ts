import { openSealed, seal } from "@oja/auth";
import { ProblemError, problem, type WhatsAppChannel, type WhatsAppChannelInput } from "@oja/contracts";
import { type Database, isUniqueViolation } from "@oja/db";
import type { GraphClient } from "@oja/whatsapp";
import { sql } from "drizzle-orm";

// A store's WhatsApp number. The access token is sealed with MESSAGING_SECRET_KEY and bound to
// the store (the sealed text names it), so a sealed token copied to another store's row does
// not open there. It is never returned, only whether one is set.

const CHANNEL_CONFLICT = "whatsapp_channels_phone_number_id_unique";

export async function putChannel(
	db: Database,
	secretKey: string,
	storeId: string,
	input: WhatsAppChannelInput,
	graph: GraphClient,
): Promise<WhatsAppChannel> {
	// The token must be one Meta accepts for this number: typing another store's number id is not enough.
	const owned = await graph.phoneNumber(input.phoneNumberId, input.accessToken);
	if (!owned.ok) {
		if (owned.retryable)
			throw new ProblemError(problem("service-unavailable", "WhatsApp could not be reached to check the number; try again."));
		throw new ProblemError(
			problem("validation-failed", "WhatsApp does not accept this access token for this phone number ID.", {
				errors: [{ path: "accessToken", message: "Not valid for this phone number ID", code: "whatsapp_refused" }],
			}),
		);
	}
	const sealed = await seal(secretKey, `${storeId}\n${input.accessToken}`);
	try {
		const result = await db.execute<{ phone_number_id: string; display_phone_number: string; updated_at: string }>(sql`
			INSERT INTO whatsapp_channels (store_id, phone_number_id, display_phone_number, access_token_sealed)
			VALUES (${storeId}, ${input.phoneNumberId}, ${input.displayPhoneNumber}, ${sealed})
			ON CONFLICT (store_id) DO UPDATE SET phone_number_id = EXCLUDED.phone_number_id,
				display_phone_number = EXCLUDED.display_phone_number, access_token_sealed = EXCLUDED.access_token_sealed,
				updated_at = now()
			RETURNING phone_number_id, display_phone_number,
				to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`);
		const row = result.rows[0];
		if (!row) throw new Error("channel upsert returned nothing");
		return {
			phoneNumberId: row.phone_number_id,
			displayPhoneNumber: row.display_phone_number,
			accessTokenSet: true,
			updatedAt: row.updated_at,
		};
	} catch (error) {
		if (isUniqueViolation(error, CHANNEL_CONFLICT)) {
			throw new ProblemError(
				problem("conflict", "That WhatsApp number is registered to another store.", {
					extensions: { code: "phone-number-taken" },
				}),
			);
		}
		throw error;
	}
}

export async function getChannel(db: Database, storeId: string): Promise<WhatsAppChannel | null> {
	const result = await db.execute<{ phone_number_id: string; display_phone_number: string; updated_at: string }>(sql`
		SELECT phone_number_id, display_phone_number,
			to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at
		FROM whatsapp_channels WHERE store_id = ${storeId}`);
	const row = result.rows[0];
	return row
		? {
				phoneNumberId: row.phone_number_id,
				displayPhoneNumber: row.display_phone_number,
				accessTokenSet: true,
				updatedAt: row.updated_at,
			}
		: null;
}

export async function openAccessToken(secretKey: string, storeId: string, sealed: string): Promise<string> {
	const plain = await openSealed(secretKey, sealed);
	const cut = plain.indexOf("\n");
	if (cut < 0 || plain.slice(0, cut) !== storeId) throw new Error("sealed access token belongs to another store");
	return plain.slice(cut + 1);
}

export interface ChannelStore {
	storeId: string;
	slug: string;
	name: string;
	currency: string;
}

/**
 * The stores behind these WhatsApp numbers, in one statement. A number no store registered is
 * simply absent: its messages are dropped, never given to some default store. (Reads identity's
 * `stores` for the slug, name and currency: a documented read-only join, like the storefront's.)
 */
export async function storesForNumbers(db: Database, phoneNumberIds: string[]): Promise<Map<string, ChannelStore>> {
	if (phoneNumberIds.length === 0) return new Map();
	const result = await db.execute<{
		phone_number_id: string;
		store_id: string;
		slug: string;
		name: string;
		currency: string;
	}>(sql`
		SELECT ch.phone_number_id, s.id AS store_id, s.slug, s.name, s.currency
		FROM whatsapp_channels ch JOIN stores s ON s.id = ch.store_id
		WHERE ch.phone_number_id IN (${sql.join(
			phoneNumberIds.map((id) => sql`${id}`),
			sql`, `,
		)})`);
	return new Map(
		result.rows.map((r) => [r.phone_number_id, { storeId: r.store_id, slug: r.slug, name: r.name, currency: r.currency }]),
	);
}
