import { errorLogRecord } from "./error-log.ts";
import { type Problem, ProblemError, problem, type Result } from "./problem.ts";

/**
 * Wraps a domain RPC method body: domain failures (ProblemError) become `{ok:false}` values
 * the gateway can render; anything unexpected is logged with the request id (name and codes
 * only, see errorLogRecord) and becomes an opaque 500 so no stack or SQL text ever reaches a
 * client.
 */
export async function runRpc<T>(requestId: string, worker: string, fn: () => Promise<T>): Promise<Result<T>> {
	try {
		return { ok: true, value: await fn() };
	} catch (error) {
		if (error instanceof ProblemError) return { ok: false, problem: error.problem };
		console.error(
			JSON.stringify({
				level: "error",
				msg: "rpc.unhandled",
				worker,
				requestId,
				// Never the message: a query error's message carries its parameters.
				error: errorLogRecord(error),
			}),
		);
		const p: Problem = problem("internal", "Something went wrong on our side. Quote the request id to support.");
		return { ok: false, problem: p };
	}
}
