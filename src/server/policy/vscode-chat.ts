import { effectiveDocument, type PolicyDocument } from '../../policy';
import type { SignInReport, VsCodeSettingsReport } from '../store/member-sign-ins-store';

/** The Language Model vendor VS Code knows our models by; its utility settings store `vendor/id`. */
export const LM_VENDOR = 'org-provider-policy';

export interface VsCodeChatStatus {
	/** What the policy points the member's VS Code at (`vendor/id`), null where it names nothing. */
	expected: { utilityModel: string | null; utilitySmallModel: string | null };
	/** What their VS Code last reported; absent before its first report. */
	reported?: { supported: boolean; utilityModel: string | null; utilitySmallModel: string | null; at: number };
	/** The member's VS Code holds something else than the policy names (they, or something, changed it). */
	drifted: boolean;
}

const asSetting = (model: string | undefined) => (model ? `${LM_VENDOR}/${model}` : null);

/**
 * Each member's VS Code utility-model settings against what their effective policy names (`current`:
 * the revision they are served): the extension points them at it once, but cannot lock another
 * product's setting, so this is how admins see who changed it. A member is judged on every machine
 * they are signed in on (`signIns`, the ones that count): drifted when any one holds something else,
 * and that one is the report shown. Undefined for a member whose policy names no utility model.
 */
export function vscodeChatStatuses(
	signIns: ReadonlyMap<string, readonly SignInReport[]>,
	groupsOf: ReadonlyMap<string, readonly string[]>,
): (userId: string, current: PolicyDocument) => VsCodeChatStatus | undefined {
	return (userId, current) => {
		const models = effectiveDocument(current, groupsOf.get(userId) ?? []).provider?.models;
		const expected = { utilityModel: asSetting(models?.utilityModel), utilitySmallModel: asSetting(models?.utilitySmallModel) };
		if (!current.enabled || (!expected.utilityModel && !expected.utilitySmallModel)) {
			return undefined;
		}
		const differs = (report: VsCodeSettingsReport, field: 'utilityModel' | 'utilitySmallModel') =>
			expected[field] !== null && report[field] !== expected[field];
		const isDrifted = (report: VsCodeSettingsReport) =>
			report.supported && (differs(report, 'utilityModel') || differs(report, 'utilitySmallModel'));
		const reports = (signIns.get(userId) ?? [])
			.flatMap((signIn) => (signIn.vscodeSettings ? [signIn.vscodeSettings] : []))
			.sort((a, b) => b.reportedAt - a.reportedAt);
		// What the admin most needs to see: a machine that changed them, else one that cannot hold them, else the newest.
		const report = reports.find(isDrifted) ?? reports.find((each) => !each.supported) ?? reports[0];
		return {
			expected,
			...(report
				? {
						reported: {
							supported: report.supported,
							utilityModel: report.utilityModel,
							utilitySmallModel: report.utilitySmallModel,
							at: report.reportedAt,
						},
					}
				: {}),
			drifted: report !== undefined && isDrifted(report),
		};
	};
}
