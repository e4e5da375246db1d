export { type NeonLocalAdmin, neonLocalAdmin } from "./admin-client.ts";
export {
	type DatabaseStats,
	type NeonLocal,
	type NeonLocalOptions,
	type NeonLocalStats,
	startNeonLocal,
} from "./server.ts";
export type { BackendKind } from "./types.ts";
