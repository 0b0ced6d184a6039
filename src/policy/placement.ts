import * as z from 'zod';

/**
 * Where a member stands in the organization's policy, for *Show Effective Policy*: their groups, the
 * overlays those apply, and whether a revision is being tried on a canary (and whether they are in
 * it). Informational only — what is enforced is the signed document — so it is not signed.
 */
export const PlacementSchema = z.object({
	/** The revision this member is served. */
	revision: z.int(),
	groups: z.array(z.string()),
	appliedOverlays: z.array(z.string()),
	rollout: z
		.object({
			/** The revision being tried, and the one everyone outside the canary keeps meanwhile. */
			revision: z.int(),
			stable: z.int(),
			/** `group Research` or `10% of members`. */
			canary: z.string(),
			inCanary: z.boolean(),
		})
		.nullable(),
});
export type Placement = z.infer<typeof PlacementSchema>;

/** The sentence *Show Effective Policy* says about a rollout under way. */
export function describeRollout(rollout: NonNullable<Placement['rollout']>): string {
	return rollout.inCanary
		? `revision ${rollout.revision} is being tried on a canary (${rollout.canary}) and you are in it; everyone else stays on revision ${rollout.stable} until an admin promotes it`
		: `revision ${rollout.revision} is being tried on a canary (${rollout.canary}); you stay on revision ${rollout.stable} until an admin promotes it`;
}
