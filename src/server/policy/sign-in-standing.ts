import type { SignInReport } from '../store/member-sign-ins-store';
import type { Store, UserRecord } from '../store/store';

/**
 * How long a sign-in counts as one of the member's machines after it was last seen. An extension
 * holds its event stream open whenever VS Code runs, so a machine not seen for two weeks is put
 * away, reinstalled or wiped (its refresh token outlives it): it no longer holds the member back.
 */
export const SIGN_IN_COUNTS_FOR_MS = 14 * 24 * 3600 * 1000;

/** By member id, their sign-ins that count as their machines at `now`: still signed in, and seen within {@link SIGN_IN_COUNTS_FOR_MS}. */
export function countedSignIns(store: Pick<Store, 'signIns'>, orgId: string, now: number): Promise<Map<string, SignInReport[]>> {
	return store.signIns.listLive(orgId, now, now - SIGN_IN_COUNTS_FOR_MS);
}

/** What a member's sync standing is judged on: their report, or the report of their machine furthest behind. */
export interface LaggingReport {
	/** The lowest revision any of their machines applied (null: one applied none yet, or none reported). */
	readonly appliedRevision: number | null;
	/** The oldest policy schema any of their machines understands (null: not said). */
	readonly policySchema: number | null;
}

/**
 * A member on several machines is as far along as the one furthest behind: in sync only when every
 * one of them is, and *extension too old* when any one cannot take the revision. With no machine
 * reported (signed in before this release recorded them), the member's own last report stands.
 */
export function laggingReport(
	user: Pick<UserRecord, 'appliedRevision' | 'policySchema'>,
	signIns: readonly SignInReport[] | undefined,
): LaggingReport {
	if (!signIns || signIns.length === 0) {
		return { appliedRevision: user.appliedRevision, policySchema: user.policySchema };
	}
	const applied = signIns.map((signIn) => signIn.appliedRevision);
	const schemas = signIns.flatMap((signIn) => (signIn.policySchema === null ? [] : [signIn.policySchema]));
	return {
		appliedRevision: applied.includes(null) ? null : Math.min(...(applied as number[])),
		policySchema: schemas.length > 0 ? Math.min(...schemas) : user.policySchema,
	};
}

/** What a machine runs, in words: "extension 0.3.0, VS Code 1.117.0" (extensions before 0.3.0 did not say). */
export function machineWords({ extensionVersion, vscodeVersion }: Pick<SignInReport, 'extensionVersion' | 'vscodeVersion'>): string {
	return extensionVersion ? `extension ${extensionVersion}, VS Code ${vscodeVersion ?? '?'}` : 'extension 0.2.0 or older';
}
