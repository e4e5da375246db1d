import { describe, expect, it } from "vitest";
import { can, canAssign, PERMISSIONS, ROLES } from "../src/permissions.ts";

describe("permission matrix", () => {
	it("gives staff day-to-day work but not keys, payouts or team management", () => {
		expect(can("staff", "orders:manage")).toBe(true);
		expect(can("staff", "inbox:manage")).toBe(true);
		expect(can("staff", "api_keys:manage")).toBe(false);
		expect(can("staff", "payouts:manage")).toBe(false);
		expect(can("staff", "team:manage")).toBe(false);
		expect(can("staff", "webhooks:manage")).toBe(false);
		expect(can("admin", "webhooks:manage")).toBe(true);
	});

	it("is monotonic: a higher role can do everything a lower one can", () => {
		for (const permission of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) {
			if (can("staff", permission)) expect(can("admin", permission)).toBe(true);
			if (can("admin", permission)) expect(can("owner", permission)).toBe(true);
		}
	});

	it("lets members assign only roles below their own", () => {
		expect(canAssign("owner", "admin")).toBe(true);
		expect(canAssign("admin", "staff")).toBe(true);
		expect(canAssign("admin", "admin")).toBe(false);
		expect(canAssign("admin", "owner")).toBe(false);
		for (const role of ROLES) expect(canAssign("staff", role)).toBe(false);
	});
});
