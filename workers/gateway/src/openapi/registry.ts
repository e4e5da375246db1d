import { PROBLEM_TYPES, type Problem, type ProblemType } from "@oja/contracts";
import { z } from "zod";

/**
 * One declaration per route: the gateway validates requests with these schemas and the
 * OpenAPI document is generated from the same objects, so the docs cannot drift from the
 * code.
 */
export interface RouteSpec {
	method: "get" | "post" | "put" | "patch" | "delete";
	/** Hono path syntax (`/v1/storefront/:slug`). */
	path: string;
	operationId: string;
	summary: string;
	description?: string;
	tags: string[];
	params?: z.ZodObject;
	query?: z.ZodObject;
	body?: z.ZodType;
	/** A body that is not JSON (an uploaded file): documented as given, read by the handler itself. */
	rawBody?: { description: string; content: Record<string, { schema: Record<string, unknown> }> };
	responses: Partial<Record<200 | 201 | 202 | 204, { description: string; schema?: z.ZodType }>>;
	/** Problem types this route can answer with (validation and internal errors are implied). */
	problems?: ProblemType[];
}

export const routes: RouteSpec[] = [];

export function defineRoute<const R extends RouteSpec>(spec: R): R {
	routes.push(spec);
	return spec;
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
	const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
		target: "draft-2020-12",
		io,
		unrepresentable: "any",
	}) as Record<string, unknown>;
	return rest;
}

const problemSchema = {
	type: "object",
	required: ["type", "title", "status", "requestId"],
	properties: {
		type: { type: "string", format: "uri" },
		title: { type: "string" },
		status: { type: "integer" },
		detail: { type: "string" },
		requestId: { type: "string" },
		errors: {
			type: "array",
			items: {
				type: "object",
				required: ["path", "message", "code"],
				properties: { path: { type: "string" }, message: { type: "string" }, code: { type: "string" } },
			},
		},
	},
} as const;

export function openApiDocument(info: { title: string; version: string; description: string }, serverUrl: string) {
	const paths: Record<string, Record<string, unknown>> = {};
	for (const route of routes) {
		const parameters: unknown[] = [];
		for (const [where, schema] of [
			["path", route.params],
			["query", route.query],
		] as const) {
			if (!schema) continue;
			for (const [name, field] of Object.entries(schema.shape)) {
				parameters.push({
					name,
					in: where,
					required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
					schema: jsonSchema(field as z.ZodType, "input"),
				});
			}
		}
		const responses: Record<string, unknown> = {};
		for (const [status, response] of Object.entries(route.responses)) {
			responses[status] = response.schema
				? {
						description: response.description,
						content: { "application/json": { schema: jsonSchema(response.schema, "output") } },
					}
				: { description: response.description };
		}
		const problems = new Set<ProblemType>([...(route.problems ?? []), "internal"]);
		if (route.body || route.params || route.query) problems.add("validation-failed");
		if (route.rawBody) {
			problems.add("payload-too-large");
			problems.add("unsupported-media-type");
		}
		if (route.body) {
			problems.add("malformed-json");
			problems.add("payload-too-large");
			problems.add("unsupported-media-type");
		}
		for (const type of problems) {
			const known = PROBLEM_TYPES[type];
			const key = String(known.status);
			const existing = responses[key] as { description: string } | undefined;
			responses[key] = {
				description: existing ? `${existing.description}; ${known.title}` : known.title,
				content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
			};
		}
		const pathItem = paths[toOpenApiPath(route.path)] ?? {};
		paths[toOpenApiPath(route.path)] = pathItem;
		pathItem[route.method] = {
			operationId: route.operationId,
			summary: route.summary,
			...(route.description ? { description: route.description } : {}),
			tags: route.tags,
			...(parameters.length > 0 ? { parameters } : {}),
			...(route.body
				? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } } }
				: {}),
			...(route.rawBody
				? { requestBody: { required: true, description: route.rawBody.description, content: route.rawBody.content } }
				: {}),
			responses,
		};
	}
	return {
		openapi: "3.1.0",
		info,
		servers: [{ url: serverUrl }],
		paths,
		components: { schemas: { Problem: problemSchema } },
	};
}

export type { Problem };
