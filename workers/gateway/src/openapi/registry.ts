import { PROBLEM_TYPES, type Problem, type ProblemType, parseOrThrow } from "@oja/contracts";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../app-env.ts";
import { checkedText, jsonBody } from "../validate.ts";

/**
 * One declaration per route: `declare(spec, guards, handler)` mounts the handler, validates the
 * path, query and JSON body against the spec's schemas before the handler runs (after its
 * guards, so an unauthenticated caller learns nothing about input rules), and adds the spec
 * to the OpenAPI document. A route cannot be documented without being validated, nor reach a
 * handler with input the document does not describe.
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
	/**
	 * The body may be absent (sent with no content-type and no bytes); when present it must be
	 * JSON matching `body`.
	 */
	bodyOptional?: boolean;
	/** A body that is not JSON (an uploaded file): documented as given, read by the handler itself. */
	rawBody?: { description: string; content: Record<string, { schema: Record<string, unknown> }> };
	responses: Partial<Record<101 | 200 | 201 | 202 | 204, { description: string; schema?: z.ZodType }>>;
	/** Problem types this route can answer with (validation and internal errors are implied). */
	problems?: ProblemType[];
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: the spec's inputs, parsed. */
export interface RouteInput<R extends RouteSpec> {
	params: Parsed<R["params"]>;
	query: Parsed<R["query"]>;
	body: R["bodyOptional"] extends true ? Parsed<R["body"]> | undefined : Parsed<R["body"]>;
}

export type RouteHandler<R extends RouteSpec> = (c: Context<GatewayEnv>, input: RouteInput<R>) => Response | Promise<Response>;

const registered: RouteSpec[] = [];

/** Every declared route, in declaration order (the OpenAPI document and the route fuzzer read it). */
export const declaredRoutes = (): readonly RouteSpec[] => registered;

function hasBody(c: Context<GatewayEnv>): boolean {
	const length = c.req.header("content-length");
	if (length !== undefined) return length !== "0";
	return c.req.header("transfer-encoding") !== undefined || c.req.header("content-type") !== undefined;
}

async function parseInput<R extends RouteSpec>(c: Context<GatewayEnv>, spec: R): Promise<RouteInput<R>> {
	const params = spec.params ? parseOrThrow(spec.params, checkedText(c.req.param(), "path"), "path") : undefined;
	// Spread: Hono's query object has no prototype, which RPC cannot serialise.
	const query = spec.query ? parseOrThrow(spec.query, checkedText({ ...c.req.query() }, "query"), "query") : undefined;
	let body: unknown;
	if (spec.body && (!spec.bodyOptional || hasBody(c))) body = await jsonBody(c, spec.body);
	return { params, query, body } as RouteInput<R>;
}

/** A group of routes (one per route file): each `declare` mounts a handler with its validation. */
export class RouteGroup {
	readonly app = new Hono<GatewayEnv>();

	declare<const R extends RouteSpec>(spec: R, guards: MiddlewareHandler<GatewayEnv>[], handler: RouteHandler<R>): this {
		registered.push(spec);
		this.app.on(spec.method.toUpperCase(), [spec.path], ...guards, async (c) => handler(c, await parseInput(c, spec)));
		return this;
	}
}

export const routeGroup = (): RouteGroup => new RouteGroup();

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
	for (const route of registered) {
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
				? {
						requestBody: {
							required: !route.bodyOptional,
							content: { "application/json": { schema: jsonSchema(route.body, "input") } },
						},
					}
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
