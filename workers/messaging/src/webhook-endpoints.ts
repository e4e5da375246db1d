import { openSealed, seal } from "@oja/auth";
import {
	type CreateWebhookEndpointInput,
	MAX_WEBHOOK_ENDPOINTS,
	ProblemError,
	problem,
	type WebhookDelivery,
	type WebhookDeliveryAttemptList,
	type WebhookDeliveryList,
	type WebhookDeliveryListQuery,
	type WebhookEndpoint,
	type WebhookEndpointWithSecret,
} from "@oja/contracts";
import { type Database, newId } from "@oja/db";
import type { AddressResolver } from "@oja/dns";
import { checkWebhookUrl, classifyIp, generateWebhookSecret, type UrlPolicy } from "@oja/webhooks";
import { type SQL, sql } from "drizzle-orm";

// Merchants' webhook endpoints and their delivery log; every statement is scoped by store id.
// Secrets are sealed bound to (store, endpoint): a sealed secret copied onto another row does
// not open there. They are returned only by creation and rotation.

const ISO = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
/** How long the previous secret keeps signing after a rotation, so receivers can switch over. */
const ROTATION_OVERLAP = "24 hours";

export const endpointNotFound = () => new ProblemError(problem("not-found", "No such webhook endpoint."));

type EndpointRow = {
	id: string;
	url: string;
	description: string | null;
	events: string[];
	disabled_at: string | null;
	disabled_reason: string | null;
	failing_since: string | null;
	created_at: string;
};

const ENDPOINT_COLUMNS = sql`id, url, description, events, ${ISO("disabled_at")} AS disabled_at, disabled_reason,
	${ISO("failing_since")} AS failing_since, ${ISO("created_at")} AS created_at`;

function endpointOf(row: EndpointRow): WebhookEndpoint {
	return {
		id: row.id,
		url: row.url,
		description: row.description,
		events: row.events,
		status: row.disabled_at ? "disabled" : "enabled",
		disabledAt: row.disabled_at,
		disabledReason: row.disabled_reason,
		failingSince: row.failing_since,
		createdAt: row.created_at,
	};
}

export function sealSecret(key: string, storeId: string, endpointId: string, secret: string): Promise<string> {
	return seal(key, `${storeId}\n${endpointId}\n${secret}`);
}

export async function openSecret(key: string, storeId: string, endpointId: string, sealed: string): Promise<string> {
	const plain = await openSealed(key, sealed);
	const prefix = `${storeId}\n${endpointId}\n`;
	if (!plain.startsWith(prefix)) throw new Error("sealed webhook secret belongs to another endpoint");
	return plain.slice(prefix.length);
}

const urlRefused = (message: string, code: string) =>
	new ProblemError(problem("validation-failed", message, { errors: [{ path: "url", message, code }] }));

/**
 * The creation-time SSRF check: the URL's own form, then what its name resolves to now. An
 * unresolvable name is accepted (the merchant may be setting DNS up); delivery checks again
 * before every attempt, which is what actually protects, since DNS can change at any time.
 */
export async function vetUrl(raw: string, policy: UrlPolicy, resolver: AddressResolver): Promise<string> {
	const verdict = checkWebhookUrl(raw, policy);
	if (!verdict.ok) throw urlRefused(verdict.message, verdict.reason);
	if (!verdict.allowlisted && !verdict.ip) {
		const addresses = await resolver.addresses(verdict.host).catch(() => [] as string[]);
		for (const address of addresses) {
			const ip = classifyIp(address);
			if (!ip?.ok)
				throw urlRefused("That host resolves to a private or reserved address.", `resolves-${ip ? ip.reason : "invalid"}`);
		}
	}
	verdict.url.hash = "";
	return verdict.url.toString();
}

export async function createEndpoint(
	db: Database,
	key: string,
	storeId: string,
	input: CreateWebhookEndpointInput,
	url: string,
): Promise<WebhookEndpointWithSecret> {
	const id = newId("webhookEndpoint");
	const secret = generateWebhookSecret();
	const sealed = await sealSecret(key, storeId, id, secret);
	const events = sql`ARRAY[${sql.join(
		input.events.map((e) => sql`${e}`),
		sql`, `,
	)}]::text[]`;
	// The cap is checked in the same statement as the insert; two racing creations can both pass
	// it, which costs one extra endpoint, not a correctness problem.
	const result = await db.execute<EndpointRow>(sql`
		INSERT INTO webhook_endpoints (id, store_id, url, description, events, secret_sealed)
		SELECT ${id}, ${storeId}, ${url}, ${input.description ?? null}, ${events}, ${sealed}
		WHERE (SELECT count(*) FROM webhook_endpoints WHERE store_id = ${storeId}) < ${MAX_WEBHOOK_ENDPOINTS}
		RETURNING ${ENDPOINT_COLUMNS}`);
	const row = result.rows[0];
	if (!row) {
		throw new ProblemError(
			problem("conflict", `A store can have at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints.`, {
				extensions: { code: "too-many-endpoints" },
			}),
		);
	}
	return { ...endpointOf(row), secret };
}

export async function listEndpoints(db: Database, storeId: string): Promise<WebhookEndpoint[]> {
	const result = await db.execute<EndpointRow>(sql`
		SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE store_id = ${storeId} ORDER BY created_at DESC, id DESC`);
	return result.rows.map(endpointOf);
}

export async function getEndpoint(db: Database, storeId: string, id: string): Promise<WebhookEndpoint | null> {
	const result = await db.execute<EndpointRow>(sql`
		SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE store_id = ${storeId} AND id = ${id}`);
	const row = result.rows[0];
	return row ? endpointOf(row) : null;
}

export async function deleteEndpoint(db: Database, storeId: string, id: string): Promise<boolean> {
	const result = await db.execute(sql`DELETE FROM webhook_endpoints WHERE store_id = ${storeId} AND id = ${id} RETURNING id`);
	return result.rows.length > 0;
}

/** A new secret; the old one keeps signing alongside it for 24 hours. */
export async function rotateSecret(db: Database, key: string, storeId: string, id: string): Promise<WebhookEndpointWithSecret> {
	const secret = generateWebhookSecret();
	const sealed = await sealSecret(key, storeId, id, secret);
	const result = await db.execute<EndpointRow>(sql`
		UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed,
			previous_secret_expires_at = now() + ${ROTATION_OVERLAP}::interval, secret_sealed = ${sealed}, updated_at = now()
		WHERE store_id = ${storeId} AND id = ${id}
		RETURNING ${ENDPOINT_COLUMNS}`);
	const row = result.rows[0];
	if (!row) throw endpointNotFound();
	return { ...endpointOf(row), secret };
}

/** Turns a disabled endpoint back on with a clean failure record (a later disable is a new notice). */
export async function enableEndpoint(db: Database, storeId: string, id: string): Promise<WebhookEndpoint> {
	const result = await db.execute<EndpointRow>(sql`
		UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, disabled_notice_at = NULL,
			updated_at = now()
		WHERE store_id = ${storeId} AND id = ${id}
		RETURNING ${ENDPOINT_COLUMNS}`);
	const row = result.rows[0];
	if (!row) throw endpointNotFound();
	return endpointOf(row);
}

type DeliveryRow = {
	id: string;
	endpoint_id: string;
	event_id: string;
	event_type: string;
	status: WebhookDelivery["status"];
	attempts: number;
	response_status: number | null;
	duration_ms: number | null;
	error: string | null;
	redelivery_of: string | null;
	created_at: string;
	last_attempt_at: string | null;
	next_attempt_at: string | null;
	/** The raw timestamp, for the cursor. */
	created_key: string;
};

const DELIVERY_COLUMNS = sql`id, endpoint_id, event_id, event_type, status, attempts, response_status, duration_ms, error,
	redelivery_of, ${ISO("created_at")} AS created_at, ${ISO("last_attempt_at")} AS last_attempt_at,
	CASE WHEN status = 'pending' THEN ${ISO("next_attempt_at")} END AS next_attempt_at, created_at::text AS created_key`;

function deliveryOf(row: DeliveryRow): WebhookDelivery {
	return {
		id: row.id,
		endpointId: row.endpoint_id,
		eventId: row.event_id,
		eventType: row.event_type,
		status: row.status,
		attempts: row.attempts,
		responseStatus: row.response_status,
		durationMs: row.duration_ms,
		error: row.error,
		redeliveryOf: row.redelivery_of,
		createdAt: row.created_at,
		lastAttemptAt: row.last_attempt_at,
		nextAttemptAt: row.next_attempt_at,
	};
}

function encodeCursor(parts: string[]): string {
	return btoa(JSON.stringify(parts)).replaceAll("=", "");
}

function decodeCursor(cursor: string): [string, string] {
	try {
		const parts = JSON.parse(atob(cursor)) as unknown;
		if (
			Array.isArray(parts) &&
			parts.length === 2 &&
			typeof parts[0] === "string" &&
			/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(parts[0]) &&
			typeof parts[1] === "string" &&
			/^whd_[0-9A-Z]{26}$/.test(parts[1])
		) {
			return [parts[0], parts[1]];
		}
	} catch {}
	throw new ProblemError(
		problem("validation-failed", "Invalid cursor.", { errors: [{ path: "cursor", message: "Invalid cursor", code: "invalid" }] }),
	);
}

/** The endpoint's deliveries, newest first (keyset on created_at, id). */
export async function listDeliveries(
	db: Database,
	storeId: string,
	endpointId: string,
	query: WebhookDeliveryListQuery,
): Promise<WebhookDeliveryList> {
	const conditions: SQL[] = [sql`store_id = ${storeId}`, sql`endpoint_id = ${endpointId}`];
	if (query.status) conditions.push(sql`status = ${query.status}`);
	if (query.cursor) {
		const [at, id] = decodeCursor(query.cursor);
		conditions.push(sql`(created_at, id) < (${at}::timestamptz, ${id})`);
	}
	const result = await db.execute<DeliveryRow>(sql`
		SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ${sql.join(conditions, sql` AND `)}
		ORDER BY created_at DESC, id DESC LIMIT ${query.limit + 1}`);
	const rows = result.rows.slice(0, query.limit);
	const last = rows[rows.length - 1];
	return {
		items: rows.map(deliveryOf),
		nextCursor: result.rows.length > query.limit && last ? encodeCursor([last.created_key, last.id]) : null,
	};
}

export async function getDelivery(db: Database, storeId: string, id: string): Promise<WebhookDelivery | null> {
	const result = await db.execute<DeliveryRow>(sql`
		SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE store_id = ${storeId} AND id = ${id}`);
	const row = result.rows[0];
	return row ? deliveryOf(row) : null;
}

/**
 * One delivery's attempts, oldest first; null when the delivery is not this store's and
 * endpoint's (the same 404 as none). Both reads are scoped by store id.
 */
export async function listAttempts(
	db: Database,
	storeId: string,
	endpointId: string,
	deliveryId: string,
): Promise<WebhookDeliveryAttemptList | null> {
	const result = await db.execute<{
		found: boolean;
		attempt: number | null;
		status: "succeeded" | "failed" | null;
		response_status: number | null;
		duration_ms: number | null;
		error: string | null;
		attempted_at: string | null;
	}>(sql`
		SELECT true AS found, a.attempt, a.status, a.response_status, a.duration_ms, a.error, ${ISO("a.attempted_at")} AS attempted_at
		FROM webhook_deliveries d
		LEFT JOIN webhook_delivery_attempts a ON a.delivery_id = d.id AND a.store_id = d.store_id
		WHERE d.store_id = ${storeId} AND d.endpoint_id = ${endpointId} AND d.id = ${deliveryId}
		ORDER BY a.attempt`);
	if (result.rows.length === 0) return null;
	return {
		items: result.rows.flatMap((r) =>
			r.attempt === null || r.status === null || r.attempted_at === null
				? []
				: [
						{
							attempt: r.attempt,
							status: r.status,
							responseStatus: r.response_status,
							durationMs: r.duration_ms ?? 0,
							error: r.error,
							attemptedAt: r.attempted_at,
						},
					],
		),
	};
}

/**
 * A manual redelivery: a new delivery of the same event and bytes (receivers deduplicate by
 * Oja-Event-Id), with its own attempts and schedule. Refused while the endpoint is disabled.
 */
export async function redeliver(
	db: Database,
	storeId: string,
	endpointId: string,
	deliveryId: string,
): Promise<WebhookDelivery | "disabled" | null> {
	const id = newId("webhookDelivery");
	const result = await db.execute<{ disabled: boolean | null; id: string | null }>(sql`
		WITH source AS (
			SELECT d.id, d.store_id, d.endpoint_id, d.event_id, d.event_type, d.body, e.disabled_at IS NOT NULL AS disabled
			FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.store_id = d.store_id
			WHERE d.store_id = ${storeId} AND d.endpoint_id = ${endpointId} AND d.id = ${deliveryId}
		), inserted AS (
			INSERT INTO webhook_deliveries (id, store_id, endpoint_id, event_id, event_type, body, redelivery_of)
			SELECT ${id}, store_id, endpoint_id, event_id, event_type, body, id FROM source WHERE NOT disabled
			RETURNING id
		)
		SELECT (SELECT disabled FROM source) AS disabled, (SELECT id FROM inserted) AS id`);
	const row = result.rows[0];
	if (!row || row.disabled === null || row.disabled === undefined) return null;
	if (row.disabled) return "disabled";
	return getDelivery(db, storeId, id);
}
