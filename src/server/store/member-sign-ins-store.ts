import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Tables } from './tables';

/**
 * What one of a member's sign-ins last reported. A sign-in is one VS Code on one machine: the
 * refresh-token family its device-flow sign-in began, kept through every rotation.
 */
export interface SignInReport {
	familyId: string;
	/** The newest policy schema its extension said it understands (null: it did not say). */
	policySchema: number | null;
	/** The revision it last reported applied (null: none yet). */
	appliedRevision: number | null;
	/** The extension's and VS Code's versions, as its User-Agent said (null: not said; before 0.3.0). */
	extensionVersion: string | null;
	vscodeVersion: string | null;
	lastSeenAt: number;
	/** What its VS Code last said of the utility-model settings the policy points it at (null: nothing yet). */
	vscodeSettings: VsCodeSettingsReport | null;
}

/** A sign-in's report with the member it belongs to. */
export type OwnedSignInReport = SignInReport & { orgId: string; userId: string };

/** What one VS Code said of its utility-model settings (`chat.utilityModel`, `chat.utilitySmallModel`; null: not set there). */
export interface VsCodeSettingsReport {
	/** Whether this VS Code has the settings at all (older versions do not). */
	supported: boolean;
	utilityModel: string | null;
	utilitySmallModel: string | null;
	reportedAt: number;
}

/** The sign-in a member's call came on, and what it said it runs. */
export interface SignInOfCall {
	orgId: string;
	familyId: string;
	extensionVersion?: string;
	vscodeVersion?: string;
}

/** A member's sign-ins, for the members list: who is behind on one machine though in sync on another. */
export interface MemberSignInsStore {
	/**
	 * By member id, their sign-ins that are still signed in (a refresh token neither used, revoked nor
	 * expired at `now`) and were seen since `seenSince`, most recently seen first.
	 */
	listLive(orgId: string, now: number, seenSince: number): Promise<Map<string, SignInReport[]>>;
	/** One sign-in's report, whoever's it is, live or not (none: it never called). */
	find(familyId: string): Promise<OwnedSignInReport | undefined>;
	/** What the VS Code of one sign-in says of its utility-model settings, replacing what it said before. */
	recordVsCodeSettings(signIn: SignInOfCall & { userId: string }, report: VsCodeSettingsReport): Promise<void>;
}

/** What a call on a sign-in reported besides being made and what it runs. */
type ReportedColumns = Partial<
	Pick<
		Tables['member_sign_ins'],
		'policy_schema' | 'applied_revision' | 'chat_supported' | 'utility_model' | 'utility_small_model' | 'chat_reported_at'
	>
>;

/** A call on one sign-in: it was seen at `at` running what it says, and reported `reported`. Its row is made on its first call. */
async function recordCall(
	db: Kysely<Tables>,
	call: SignInOfCall & { userId: string; at: number },
	reported: ReportedColumns,
): Promise<void> {
	const changes = {
		last_seen_at: call.at,
		// Every call says what it runs, or nothing (an extension before 0.3.0, or one put back to it).
		extension_version: call.extensionVersion ?? null,
		vscode_version: call.vscodeVersion ?? null,
		...reported,
	};
	await db
		.insertInto('member_sign_ins')
		.values({ family_id: call.familyId, org_id: call.orgId, user_id: call.userId, policy_schema: null, applied_revision: null, ...changes })
		.onConflict((conflict) => conflict.column('family_id').doUpdateSet(changes))
		.execute();
}

/** Inside the transaction that records a member's report: the same report for the sign-in it came on. */
export function recordSignInWithin(
	trx: Transaction<Tables>,
	report: SignInOfCall & { userId: string; at: number; policySchema?: number; appliedRevision?: number },
): Promise<void> {
	return recordCall(trx, report, {
		...(report.policySchema !== undefined ? { policy_schema: report.policySchema } : {}),
		...(report.appliedRevision !== undefined ? { applied_revision: report.appliedRevision } : {}),
	});
}

export class SqlMemberSignInsStore implements MemberSignInsStore {
	constructor(private readonly db: Kysely<Tables>) {}

	recordVsCodeSettings(signIn: SignInOfCall & { userId: string }, report: VsCodeSettingsReport): Promise<void> {
		return recordCall(
			this.db,
			{ ...signIn, at: report.reportedAt },
			{
				chat_supported: report.supported ? 1 : 0,
				utility_model: report.utilityModel,
				utility_small_model: report.utilitySmallModel,
				chat_reported_at: report.reportedAt,
			},
		);
	}

	async listLive(orgId: string, now: number, seenSince: number): Promise<Map<string, SignInReport[]>> {
		const rows = await this.db
			.selectFrom('member_sign_ins as s')
			.selectAll('s')
			.where('s.org_id', '=', orgId)
			.where('s.last_seen_at', '>=', seenSince)
			.where(({ exists, selectFrom }) =>
				exists(
					selectFrom('tokens as t')
						.select('t.token_hash')
						.whereRef('t.family_id', '=', 's.family_id')
						.where('t.kind', '=', 'refresh')
						.where('t.revoked_at', 'is', null)
						.where('t.used_at', 'is', null)
						.where('t.expires_at', '>', now),
				),
			)
			.orderBy('s.last_seen_at', 'desc')
			.execute();
		const byMember = new Map<string, SignInReport[]>();
		for (const row of rows) {
			const reports = byMember.get(row.user_id) ?? [];
			reports.push(signInReport(row));
			byMember.set(row.user_id, reports);
		}
		return byMember;
	}

	async find(familyId: string): Promise<OwnedSignInReport | undefined> {
		const row = await this.db.selectFrom('member_sign_ins').selectAll().where('family_id', '=', familyId).executeTakeFirst();
		return row && { ...signInReport(row), orgId: row.org_id, userId: row.user_id };
	}
}

function signInReport(row: Selectable<Tables['member_sign_ins']>): SignInReport {
	return {
		familyId: row.family_id,
		policySchema: row.policy_schema === null ? null : Number(row.policy_schema),
		appliedRevision: row.applied_revision === null ? null : Number(row.applied_revision),
		extensionVersion: row.extension_version,
		vscodeVersion: row.vscode_version,
		lastSeenAt: Number(row.last_seen_at),
		vscodeSettings:
			row.chat_reported_at === null
				? null
				: {
						supported: Number(row.chat_supported) === 1,
						utilityModel: row.utility_model,
						utilitySmallModel: row.utility_small_model,
						reportedAt: Number(row.chat_reported_at),
					},
	};
}
