import { WorkerEntrypoint } from "cloudflare:workers";
import {
	type PublicStore,
	parseOrThrow,
	type RequestContext,
	type Result,
	runRpc,
	SignupInput,
	type SignupResult,
	slug as slugSchema,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { relayOutbox } from "@oja/events";
import { signup } from "./signup.ts";
import { storeBySlug } from "./stores.ts";

const WORKER = "identity";

/**
 * The identity Worker's RPC surface. Only the gateway calls it; every method re-validates
 * its input (the gateway is a client like any other) and returns a Result.
 */
export default class IdentityService extends WorkerEntrypoint<IdentityEnv> {
	override async fetch(): Promise<Response> {
		// No public HTTP surface: everything arrives over RPC from the gateway.
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	async signup(input: unknown, ctx: RequestContext): Promise<Result<SignupResult>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { result, eventIds } = await signup(db, parseOrThrow(SignupInput, input), ctx);
			// Publish right after the response; the ops cron sweep catches anything this misses.
			this.ctx.waitUntil(relayOutbox({ db, queues: { EVENTS: this.env.EVENTS }, ids: eventIds }).catch(logRelayFailure));
			return result;
		});
	}

	async storeBySlug(slug: unknown, ctx: RequestContext): Promise<Result<PublicStore>> {
		return runRpc(ctx.requestId, WORKER, () => storeBySlug(createDb(this.env), parseOrThrow(slugSchema, slug, "store slug")));
	}
}

function logRelayFailure(error: unknown): void {
	console.error(JSON.stringify({ level: "error", msg: "outbox.relay_failed", worker: WORKER, error: String(error) }));
}
