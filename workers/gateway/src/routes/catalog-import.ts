import {
	importTooLarge,
	PRODUCT_IMPORT_BATCH_VARIANTS,
	PRODUCT_IMPORT_CSV_COLUMNS,
	PRODUCT_IMPORT_MAX_BYTES,
	PRODUCT_IMPORT_MAX_VARIANTS,
	ProblemError,
	type ProductImportFormat,
	ProductImportReport,
	problem,
	StoreIdParam,
} from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult } from "../validate.ts";

// Bulk product import. The body is not buffered here: it is handed to the catalog Worker as a
// stream over RPC, which parses it incrementally and enforces the size and variant limits.

const IMPORT_PATH = /^\/v1\/stores\/[^/]+\/products\/import$/;

/**
 * The global body limit (MAX_BODY_BYTES, 1 MiB by default) skips this route: its body may be
 * up to PRODUCT_IMPORT_MAX_BYTES, checked here against content-length and counted as it
 * streams by the catalog Worker.
 */
export const hasOwnBodyLimit = (path: string): boolean => IMPORT_PATH.test(path);

const FORMATS: Record<string, ProductImportFormat> = {
	"text/csv": "csv",
	"application/x-ndjson": "jsonl",
	"application/jsonl": "jsonl",
	"application/json-lines": "jsonl",
};

function formatOf(contentType: string | undefined): ProductImportFormat {
	const [type = "", ...params] = (contentType ?? "").split(";").map((p) => p.trim().toLowerCase());
	const format = FORMATS[type];
	const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length);
	if (!format || (charset !== undefined && charset.replaceAll('"', "") !== "utf-8")) {
		throw new ProblemError(
			problem(
				"unsupported-media-type",
				"Send the file as text/csv or as JSON lines (application/x-ndjson or application/jsonl), UTF-8 encoded.",
			),
		);
	}
	return format;
}

const tooLarge = () => new ProblemError(importTooLarge());

export const catalogImportRoutes = routeGroup().declare(
	{
		method: "post",
		path: "/v1/stores/:storeId/products/import",
		operationId: "importProducts",
		summary: "Import products in bulk from a CSV (Shopify-like columns) or JSON-lines file",
		description: [
			`Up to ${PRODUCT_IMPORT_MAX_VARIANTS} variants and ${PRODUCT_IMPORT_MAX_BYTES / 1024 / 1024} MiB per request (413 beyond either).`,
			"The file is read completely and checked before anything is written: a file that is unusable as a whole",
			"(wrong content type, bad header, broken CSV quoting, not UTF-8) answers 422/415 and writes nothing.",
			`Products are then written in batches of about ${PRODUCT_IMPORT_BATCH_VARIANTS} variants, in file order;`,
			"each batch is one transaction, so a batch holding an invalid row (or a handle/SKU already in the store)",
			"writes none of its products while other batches are written. The 200 report lists every batch and row error.",
			`CSV columns (header row required, any case): ${PRODUCT_IMPORT_CSV_COLUMNS.join(", ")}. Rows with the same Handle are one product's`,
			"variants; the first carries the product fields. Prices are decimals in major units (15000.00), at most 2 places.",
			"JSON lines: one POST /products body per line.",
		].join(" "),
		tags: ["catalog"],
		params: StoreIdParam,
		rawBody: {
			description: "The file, streamed",
			content: {
				"text/csv": { schema: { type: "string", description: "Shopify-like product CSV" } },
				"application/x-ndjson": { schema: { type: "string", description: "One createProduct body (JSON) per line" } },
				"application/jsonl": { schema: { type: "string", description: "One createProduct body (JSON) per line" } },
			},
		},
		responses: { 200: { description: "What was written and what was not, by batch and row", schema: ProductImportReport } },
		problems: ["unauthorized", "forbidden", "not-found", "bad-request"],
	},
	[storeRoute("catalog:manage")],
	async (c) => {
		const format = formatOf(c.req.header("content-type"));
		const declared = Number(c.req.header("content-length") ?? "0");
		if (declared > PRODUCT_IMPORT_MAX_BYTES) throw tooLarge();
		const body = c.req.raw.body;
		if (!body) throw new ProblemError(problem("validation-failed", "The request has no body: send the file."));
		// The stream itself goes over RPC: the catalog Worker parses it as it arrives, counts its
		// bytes against PRODUCT_IMPORT_MAX_BYTES and stops reading (writing nothing) past it.
		const result = await c.env.CATALOG.importProducts(storeAccessOf(c), format, body, rpcContext(c));
		return sendResult(c, result);
	},
).app;
