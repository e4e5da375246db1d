// Seeds the demo store idempotently (fixed ids + ON CONFLICT DO NOTHING), over the same
// Neon HTTP protocol the Workers use. Safe to run on every `npm start`.

import { neon, neonConfig } from "@neondatabase/serverless";
import { hashPassword } from "@oja/auth";

export const DEMO = {
	userId: "usr_01JDEMO0000000000000000000",
	storeId: "st_01JDEMO0000000000000000000",
	email: "demo@oja.dev",
	password: "oja-demo-password",
	name: "Ngozi Demo",
	storeName: "Mama Ngozi's Kitchen",
	storeSlug: "demo",
	currency: "NGN",
} as const;

export async function seedDemo(databaseUrl: string, localEndpoint?: string): Promise<{ created: boolean }> {
	if (localEndpoint) neonConfig.fetchEndpoint = localEndpoint;
	const sql = neon(databaseUrl);
	const existing = await sql.query("SELECT 1 FROM stores WHERE id = $1", [DEMO.storeId]);
	if (existing.length > 0) return { created: false };
	const passwordHash = await hashPassword(DEMO.password);
	await sql.transaction([
		sql.query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", [
			DEMO.userId,
			DEMO.email,
			DEMO.name,
			passwordHash,
		]),
		sql.query("INSERT INTO stores (id, slug, name, currency) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", [
			DEMO.storeId,
			DEMO.storeSlug,
			DEMO.storeName,
			DEMO.currency,
		]),
		sql.query("INSERT INTO memberships (store_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING", [
			DEMO.storeId,
			DEMO.userId,
		]),
	]);
	return { created: true };
}
