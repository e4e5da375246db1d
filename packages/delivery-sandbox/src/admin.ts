// Test helpers for a running delivery sandbox's admin API. Fetch only (no Node imports), so
// integration tests inside workerd can use them too: `@oja/delivery-sandbox/admin`.
import type { DeliveryTask, TaskStatus } from "@oja/delivery";

export interface SandboxTask extends DeliveryTask {
	callbackUrl: string;
}

/** What the sandbox did with one status callback. */
export interface WebhookDelivery {
	url: string;
	/** The exact bytes signed and sent (a test can replay them into a Worker itself). */
	body: string;
	/** The x-kwik-signature value. */
	signature: string;
	/** The callback target's HTTP status; null when it was not reached (see error) or not sent. */
	status: number | null;
	error: string | null;
}

export interface FailureRule {
	/** Exact path (`/v1/tasks`) or a prefix ending in `*` (`/v1/tasks/*`). */
	path: string;
	method?: "GET" | "POST";
	/** Answer with this status and an error envelope instead of serving the request. */
	status?: number;
	/** Serve the request, but hold the answer this long (a timeout after the provider acted). */
	delayMs?: number;
	/** Close the connection without answering (a network error). */
	drop?: boolean;
	/** Sent as Retry-After (seconds) with `status`. */
	retryAfter?: number;
	/** How many matching requests it applies to. Default 1. */
	times?: number;
}

export interface LoggedRequest {
	method: string;
	path: string;
	status: number | null;
}

async function admin<T>(adminUrl: string, path: string, init?: { method: string; body?: unknown }): Promise<T> {
	const res = await fetch(`${adminUrl}${path}`, {
		method: init?.method ?? "GET",
		...(init?.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) }),
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`delivery sandbox ${path} answered ${res.status}: ${text}`);
	return JSON.parse(text) as T;
}

/** Moves a task to `status` (default: the next step) and POSTs the signed callback unless `deliver` is false. */
export function advanceTask(
	adminUrl: string,
	taskId: string,
	options: { status?: TaskStatus; rider?: { name: string; phone: string }; deliver?: boolean } = {},
): Promise<{ task: SandboxTask; webhook: WebhookDelivery }> {
	return admin(adminUrl, `/tasks/${encodeURIComponent(taskId)}/advance`, { method: "POST", body: options });
}

/** Makes the next `times` matching API calls fail as the rule says. */
export async function injectFailure(adminUrl: string, rule: FailureRule): Promise<void> {
	await admin(adminUrl, "/fail", { method: "POST", body: rule });
}

/** Every task, or the one booked under `reference` (then at most one). */
export async function listTasks(adminUrl: string, reference?: string): Promise<SandboxTask[]> {
	const query = reference === undefined ? "" : `?reference=${encodeURIComponent(reference)}`;
	return (await admin<{ tasks: SandboxTask[] }>(adminUrl, `/tasks${query}`)).tasks;
}

/** The API calls served since the last reset, oldest first (failure rules included). */
export async function listRequests(adminUrl: string): Promise<LoggedRequest[]> {
	return (await admin<{ requests: LoggedRequest[] }>(adminUrl, "/requests")).requests;
}

/** Forgets every task, failure rule and logged request. */
export async function resetSandbox(adminUrl: string): Promise<void> {
	await admin(adminUrl, "/reset", { method: "POST" });
}
