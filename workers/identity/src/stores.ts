import { ProblemError, type PublicStore, problem } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { eq } from "drizzle-orm";

export async function storeBySlug(db: Database, slug: string): Promise<PublicStore> {
	const [row] = await db
		.select({ id: schema.stores.id, slug: schema.stores.slug, name: schema.stores.name, currency: schema.stores.currency })
		.from(schema.stores)
		.where(eq(schema.stores.slug, slug))
		.limit(1);
	if (!row) throw new ProblemError(problem("not-found", `No store at /${slug}.`));
	return { ...row, currency: row.currency as PublicStore["currency"] };
}
