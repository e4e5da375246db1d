import { ProblemError, type PublicStore, problem } from "@oja/contracts";
import { type Database, schema } from "@oja/db";
import { eq } from "drizzle-orm";

export async function storeBySlug(db: Database, slug: string): Promise<PublicStore> {
	const [row] = await db.select().from(schema.stores).where(eq(schema.stores.slug, slug)).limit(1);
	if (!row) throw new ProblemError(problem("not-found", `No store at /${slug}.`));
	return {
		id: row.id,
		slug: row.slug,
		name: row.name,
		currency: row.currency as PublicStore["currency"],
		contact: { email: row.contactEmail, phone: row.contactPhone },
		showStockCounts: row.showStockCounts,
	};
}
