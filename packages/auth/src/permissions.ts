// The store permission matrix: what each membership role may do. Routes name a permission,
// never a role, so changing who may do what is an edit here (and in the README table).

export const ROLES = ["owner", "admin", "staff"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
	"store:read": ["owner", "admin", "staff"],
	"store:update": ["owner", "admin"],
	"catalog:manage": ["owner", "admin", "staff"],
	"orders:manage": ["owner", "admin", "staff"],
	"inbox:manage": ["owner", "admin", "staff"],
	"team:read": ["owner", "admin", "staff"],
	"team:manage": ["owner", "admin"],
	"api_keys:manage": ["owner", "admin"],
	"finance:read": ["owner", "admin"],
	"payouts:manage": ["owner"],
	"refunds:manage": ["owner", "admin"],
	"webhooks:manage": ["owner", "admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/**
 * Permissions a secret API key never has, whatever its role: managing the team and the keys
 * themselves. A leaked key must not be able to add people or mint keys that outlive its own
 * revocation; those changes need a signed-in person. Payouts too: adding a bank account or
 * sending money out of Oja is what a thief with a key would do first (keys are admin or staff
 * today, which payouts:manage excludes anyway; this keeps it so if an owner-role key is added).
 * Webhook endpoints too: one registered with a stolen key would keep receiving every order
 * (customers' names, phones, addresses) after the key is revoked.
 */
export const PERSON_ONLY: ReadonlySet<Permission> = new Set<Permission>([
	"team:manage",
	"api_keys:manage",
	"payouts:manage",
	"webhooks:manage",
]);

export function can(role: Role, permission: Permission): boolean {
	return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

const RANK: Record<Role, number> = { owner: 3, admin: 2, staff: 1 };

/** A member may grant or revoke only roles below their own (an admin cannot make an owner). */
export function canAssign(actor: Role, target: Role): boolean {
	return RANK[actor] > RANK[target];
}
