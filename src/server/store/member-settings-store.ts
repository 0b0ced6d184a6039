import type { Kysely } from 'kysely';
import type { Tables } from './tables';

/** What a member's VS Code last said of the settings the policy points it at (null: not set there). */
export interface VsCodeSettingsReport {
	orgId: string;
	userId: string;
	/** Whether this VS Code has the utility-model settings at all (older versions do not). */
	supported: boolean;
	utilityModel: string | null;
	utilitySmallModel: string | null;
	reportedAt: number;
}

/** The last report of each member's VS Code settings (one row per member, replaced by the next report). */
export interface MemberSettingsStore {
	record(report: VsCodeSettingsReport): Promise<void>;
	list(orgId: string): Promise<Map<string, VsCodeSettingsReport>>;
}

export class SqlMemberSettingsStore implements MemberSettingsStore {
	constructor(private readonly db: Kysely<Tables>) {}

	async record(report: VsCodeSettingsReport): Promise<void> {
		const values = {
			org_id: report.orgId,
			supported: report.supported ? 1 : 0,
			utility_model: report.utilityModel,
			utility_small_model: report.utilitySmallModel,
			reported_at: report.reportedAt,
		};
		await this.db
			.insertInto('member_vscode_settings')
			.values({ user_id: report.userId, ...values })
			.onConflict((conflict) => conflict.column('user_id').doUpdateSet(values))
			.execute();
	}

	async list(orgId: string): Promise<Map<string, VsCodeSettingsReport>> {
		const rows = await this.db.selectFrom('member_vscode_settings').selectAll().where('org_id', '=', orgId).execute();
		return new Map(
			rows.map((row) => [
				row.user_id,
				{
					orgId: row.org_id,
					userId: row.user_id,
					supported: Number(row.supported) === 1,
					utilityModel: row.utility_model,
					utilitySmallModel: row.utility_small_model,
					reportedAt: Number(row.reported_at),
				},
			]),
		);
	}
}
