// Seeds the demo store idempotently (fixed ids + ON CONFLICT DO NOTHING), over the same
// Neon HTTP protocol the Workers use. Safe to run on every `npm start`.

import { neon, neonConfig } from "@neondatabase/serverless";
import { hashPassword } from "@oja/auth";

export const DEMO = {
	// Valid Crockford ULIDs (no I, L, O or U), so the ids pass the API's id validation.
	userId: "usr_01JDEMX0000000000000000000",
	storeId: "st_01JDEMX0000000000000000000",
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
	// Local databases seeded before the ids were fixed hold a demo store the API cannot address
	// (its id had an "O"); replace it. This is demo data only.
	await sql.transaction([
		sql.query("DELETE FROM stores WHERE slug = $1 AND id <> $2", [DEMO.storeSlug, DEMO.storeId]),
		sql.query("DELETE FROM users WHERE email = $1 AND id <> $2", [DEMO.email, DEMO.userId]),
	]);
	const existing = await sql.query("SELECT 1 FROM stores WHERE id = $1", [DEMO.storeId]);
	if (existing.length > 0) {
		// Older local databases may predate the demo catalog.
		await seedDemoCatalog(databaseUrl, localEndpoint);
		return { created: false };
	}
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
	await seedDemoCatalog(databaseUrl, localEndpoint);
	return { created: true };
}

interface DemoProduct {
	handle: string;
	title: string;
	description: string;
	tags: string[];
	options: { name: string; values: string[] }[];
	/** [option values, price in kobo, on hand] */
	variants: [string[], number, number][];
}

// A small, believable catalog so the storefront pages have something to show.
const DEMO_PRODUCTS: DemoProduct[] = [
	{
		handle: "ankara-wrap-dress",
		title: "Ankara Wrap Dress",
		description: "Hand-finished cotton wax print, cut and sewn in Aba.",
		tags: ["dresses", "ankara"],
		options: [{ name: "Size", values: ["S", "M", "L"] }],
		variants: [
			[["S"], 1_500_000, 4],
			[["M"], 1_650_000, 12],
			[["L"], 1_700_000, 0],
		],
	},
	{
		handle: "adire-shirt",
		title: "Adire Shirt",
		description: "Indigo tie-dye from Abeokuta.",
		tags: ["shirts", "adire"],
		options: [
			{ name: "Size", values: ["M", "L"] },
			{ name: "Colour", values: ["Indigo", "Rust"] },
		],
		variants: [
			[["M", "Indigo"], 900_000, 8],
			[["M", "Rust"], 900_000, 3],
			[["L", "Indigo"], 950_000, 6],
			[["L", "Rust"], 950_000, 0],
		],
	},
	{
		handle: "jollof-spice-mix",
		title: "Jollof Spice Mix",
		description: "Smoky party jollof blend, 250 g.",
		tags: ["kitchen", "spices"],
		options: [],
		variants: [[[], 350_000, 40]],
	},
	{
		handle: "aso-oke-gele",
		title: "Aso Oke Gele",
		description: "Hand-woven head tie for owambe season.",
		tags: ["aso-oke", "accessories"],
		options: [{ name: "Colour", values: ["Gold", "Wine"] }],
		variants: [
			[["Gold"], 2_200_000, 2],
			[["Wine"], 2_200_000, 5],
		],
	},
];

function demoId(prefix: string, n: number): string {
	return `${prefix}_01JDEMX${String(n).padStart(19, "0")}`;
}

/** The demo store's catalog: fixed ids, ON CONFLICT DO NOTHING, so re-running changes nothing. */
export async function seedDemoCatalog(databaseUrl: string, localEndpoint?: string): Promise<void> {
	if (localEndpoint) neonConfig.fetchEndpoint = localEndpoint;
	const sql = neon(databaseUrl);
	const statements = [];
	let variantNo = 0;
	for (const [i, p] of DEMO_PRODUCTS.entries()) {
		const productId = demoId("prd", i + 1);
		statements.push(
			sql.query(
				`INSERT INTO products (id, store_id, handle, title, description, status, tags, options, created_at)
				VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, now() - make_interval(mins => $8)) ON CONFLICT DO NOTHING`,
				[productId, DEMO.storeId, p.handle, p.title, p.description, p.tags, JSON.stringify(p.options), i],
			),
		);
		for (const [position, [values, price, onHand]] of p.variants.entries()) {
			const variantId = demoId("var", ++variantNo);
			statements.push(
				sql.query(
					`INSERT INTO variants (id, store_id, product_id, title, option_values, price_minor, currency, position)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
					[variantId, DEMO.storeId, productId, values.join(" / ") || "Default", values, price, DEMO.currency, position],
				),
				sql.query(
					"INSERT INTO inventory (variant_id, store_id, on_hand, reserved) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
					[variantId, DEMO.storeId, onHand],
				),
			);
		}
	}
	const collectionId = demoId("col", 1);
	statements.push(
		sql.query(
			"INSERT INTO collections (id, store_id, handle, title, description) VALUES ($1, $2, 'owambe-ready', 'Owambe Ready', 'Dressed for the party.') ON CONFLICT DO NOTHING",
			[collectionId, DEMO.storeId],
		),
		sql.query(
			`INSERT INTO collection_products (collection_id, product_id, store_id, position)
			VALUES ($1, $2, $4, 1), ($1, $3, $4, 2) ON CONFLICT DO NOTHING`,
			[collectionId, demoId("prd", 4), demoId("prd", 1), DEMO.storeId],
		),
		// How the demo store delivers: pickup (pay on collection), a Lagos courier that also takes
		// payment on delivery up to ₦200,000, and nationwide delivery paid online.
		sql.query(
			`INSERT INTO delivery_options (id, store_id, kind, name, states, fee_minor, currency, books_courier, pay_on_delivery,
				pay_on_delivery_max_total_minor, position)
			VALUES ($1, $4, 'pickup', 'Pick up in Yaba, Lagos', '{}', 0, 'NGN', false, true, NULL, 0),
				($2, $4, 'delivery', 'Lagos delivery (courier)', '{Lagos}', 250000, 'NGN', true, true, 20000000, 1),
				($3, $4, 'delivery', 'Nationwide delivery', '{}', 450000, 'NGN', false, false, NULL, 2)
			ON CONFLICT DO NOTHING`,
			[demoId("dlv", 1), demoId("dlv", 2), demoId("dlv", 3), DEMO.storeId],
		),
	);
	await sql.transaction(statements);
}

/**
 * A large catalog for benchmarks: `products` active products with `variantsPerProduct`
 * variants each (sizes), stock on every variant, in one statement per table.
 */
export const BENCH_STORE = { id: "st_01BENCH0000000000000000000", slug: "bench", name: "Bench Fabrics" } as const;

export async function seedBulkCatalog(
	databaseUrl: string,
	localEndpoint: string | undefined,
	options: { products: number; variantsPerProduct: number },
): Promise<void> {
	if (localEndpoint) neonConfig.fetchEndpoint = localEndpoint;
	const sql = neon(databaseUrl);
	const storeId = BENCH_STORE.id;
	const { products, variantsPerProduct } = options;
	const sizes = ["XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"].slice(0, variantsPerProduct);
	const words = ["Ankara", "Adire", "Aso Oke", "Kente", "Lace", "Batik", "Linen", "Silk", "Cotton", "Wax"];
	const kinds = ["Dress", "Shirt", "Gown", "Kaftan", "Skirt", "Wrapper", "Cap", "Gele", "Bag", "Scarf"];
	await sql.transaction([
		sql.query("INSERT INTO stores (id, slug, name, currency) VALUES ($1, $2, $3, 'NGN') ON CONFLICT DO NOTHING", [
			storeId,
			BENCH_STORE.slug,
			BENCH_STORE.name,
		]),
		sql.query(
			`INSERT INTO products (id, store_id, handle, title, description, status, tags, options)
			SELECT 'prd_01BENCH' || lpad(n::text, 19, '0'), $1, 'bench-product-' || n,
				($2::text[])[1 + n % 10] || ' ' || ($3::text[])[1 + (n / 10) % 10] || ' ' || n,
				'Benchmark product number ' || n || ', hand finished.', 'active',
				ARRAY[lower(($3::text[])[1 + (n / 10) % 10])], $4::jsonb
			FROM generate_series(1, $5::int) AS n
			ON CONFLICT DO NOTHING`,
			[storeId, words, kinds, JSON.stringify([{ name: "Size", values: sizes }]), products],
		),
		sql.query(
			`INSERT INTO variants (id, store_id, product_id, sku, title, option_values, price_minor, currency, position)
			SELECT 'var_01BENCH' || lpad((n * 10 + k)::text, 19, '0'), $1, 'prd_01BENCH' || lpad(n::text, 19, '0'),
				'BENCH-' || n || '-' || k, ($2::text[])[k], ARRAY[($2::text[])[k]], 100000 + (n * 7919 % 5000) * 100 + k * 5000,
				'NGN', k - 1
			FROM generate_series(1, $3::int) AS n, generate_series(1, $4::int) AS k
			ON CONFLICT DO NOTHING`,
			[storeId, sizes, products, variantsPerProduct],
		),
		sql.query(
			`INSERT INTO inventory (variant_id, store_id, on_hand, reserved)
			SELECT v.id, v.store_id, abs(hashtext(v.id)) % 40, 0
			FROM variants v WHERE v.store_id = $1 AND v.id LIKE 'var_01BENCH%'
			ON CONFLICT DO NOTHING`,
			[storeId],
		),
	]);
	// Statistics for the rows just loaded, as a database that has been running has them (autovacuum
	// analyzes a table only a minute or more after a bulk load). Without them the planner takes
	// these tables for nearly empty, and a connection keeps the plans it made meanwhile: checkout's
	// is-it-for-sale check scanned a store's products index instead of looking the product up,
	// 5.7 ms a checkout instead of under 0.3.
	await sql.query("ANALYZE stores, products, variants, inventory");
}

/** The demo store's WhatsApp number, served by the WhatsApp sandbox under `npm start`. */
export const DEMO_WHATSAPP = {
	phoneNumberId: "106540352242922",
	displayPhoneNumber: "+234 1 700 0000",
	// Local only: the sandbox's token for the demo number (Meta knows no such token).
	accessToken: "EAAoja_local_sandbox_token_not_a_meta_token",
} as const;

/** Connects the demo store to its sandbox number (the access token sealed with the local messaging key). */
export async function seedDemoWhatsApp(databaseUrl: string, localEndpoint: string, sealedToken: string): Promise<void> {
	neonConfig.fetchEndpoint = localEndpoint;
	const sql = neon(databaseUrl);
	await sql.query(
		`INSERT INTO whatsapp_channels (store_id, phone_number_id, display_phone_number, access_token_sealed)
		 VALUES ($1, $2, $3, $4)
		 ON CONFLICT (store_id) DO UPDATE SET phone_number_id = EXCLUDED.phone_number_id,
			display_phone_number = EXCLUDED.display_phone_number, access_token_sealed = EXCLUDED.access_token_sealed`,
		[DEMO.storeId, DEMO_WHATSAPP.phoneNumberId, DEMO_WHATSAPP.displayPhoneNumber, sealedToken],
	);
}
