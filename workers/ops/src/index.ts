import { WorkerEntrypoint } from "cloudflare:workers";
import { errorLogRecord } from "@oja/contracts";
import { createDb } from "@oja/db";
import { drainOutbox } from "@oja/events";
import { recordDeadLetters } from "./dead-letters.ts";
import { recordEvents } from "./event-log.ts";
import { type Purged, purgeExpired } from "./retention.ts";

const WORKER = "ops";

export default class OpsService extends WorkerEntrypoint<OpsEnv> {
	override async fetch(): Promise<Response> {
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	/** The outbox sweep, callable over RPC so operators (and tests) can run it on demand. */
	async relayOutbox(): Promise<{ published: number }> {
		return drainOutbox({
			db: createDb(this.env),
			queues: {
				EVENTS: this.env.EVENTS,
				STOREFRONT_CACHE: this.env.STOREFRONT_CACHE,
				ORDER_EVENTS: this.env.ORDER_EVENTS,
				MESSAGING_EVENTS: this.env.MESSAGING_EVENTS,
				WEBHOOK_EVENTS: this.env.WEBHOOK_EVENTS,
			},
		});
	}

	/** One chunk of retention (workers/ops/src/retention.ts), callable over RPC like the sweep. */
	async purgeExpired(): Promise<Purged> {
		return purgeExpired(createDb(this.env));
	}

	// The sweep and the purge are independent: either failing leaves the other to run, and the next
	// minute's cron tries again.
	override async scheduled(): Promise<void> {
		try {
			const { published } = await this.relayOutbox();
			if (published > 0) console.log(JSON.stringify({ level: "info", msg: "outbox.swept", worker: WORKER, published }));
		} catch (error) {
			console.error(JSON.stringify({ level: "error", msg: "outbox.sweep_failed", worker: WORKER, error: errorLogRecord(error) }));
		}
		const started = Date.now();
		try {
			const purged = await this.purgeExpired();
			if (Object.values(purged).some((n) => n > 0)) {
				console.log(
					JSON.stringify({ level: "info", msg: "retention.purged", worker: WORKER, ...purged, ms: Date.now() - started }),
				);
			}
		} catch (error) {
			console.error(JSON.stringify({ level: "error", msg: "retention.failed", worker: WORKER, error: errorLogRecord(error) }));
		}
	}

	override async queue(batch: MessageBatch<unknown>): Promise<void> {
		const db = createDb(this.env);
		if (batch.queue.endsWith("-dlq")) {
			await recordDeadLetters(db, batch);
			return;
		}
		await recordEvents(db, batch, {
			baseDelaySeconds: Number(this.env.QUEUE_RETRY_BASE_SECONDS ?? 5),
			maxDelaySeconds: 15 * 60,
		});
	}
}
