import * as z from 'zod';
import { RoleSchema } from '../../policy';
import { isoTime } from '../clock';
import { settingsOfRevision, type PublishedRevision } from '../policy/policy-service';
import { diffSettings } from '../policy/revision-diff';
import { laggingReport } from '../policy/sign-in-standing';
import type { VsCodeChatStatus } from '../policy/vscode-chat';
import type { SignInReport } from '../store/member-sign-ins-store';
import type { InvitationRecord, UserRecord } from '../store/store';

/** The shapes the admin API answers with, declared once for serialization and the OpenAPI document. */
export const MemberViewSchema = z.object({
	id: z.string(),
	email: z.string(),
	role: RoleSchema,
	createdAt: z.string(),
	lastSeenAt: z.string().nullable(),
	/** The revision their machine furthest behind holds, as `sync` judges them (null: a machine of theirs holds none yet). */
	appliedRevision: z.number().nullable(),
	/** When any machine of theirs last applied a revision. */
	appliedAt: z.string().nullable(),
	/** When the directory (SCIM) deactivated the person; they hold no token until reactivated. */
	deactivatedAt: z.string().nullable(),
	/** The oldest policy schema the extension on any of their machines said it understands (null: not known yet). */
	policySchema: z.number().nullable(),
	/**
	 * Judged on their machine furthest behind. `extension too old`: behind because the extension on a
	 * machine of theirs cannot be given the revision they are served until it is updated.
	 */
	sync: z.enum(['in sync', 'behind', 'extension too old', 'never synced', 'deactivated']),
	/** Each machine they are signed in on and used in the last 14 days, most recently seen first (absent: none reported yet). */
	signIns: z
		.array(
			z.object({
				/** The sign-in's id, for signing this one machine out (`POST /members/{id}/sign-ins/{signInId}/sign-out`). */
				id: z.string(),
				appliedRevision: z.number().nullable(),
				policySchema: z.number().nullable(),
				/** What the machine runs, as its extension's User-Agent says (null: not said; extensions before 0.3.0). */
				extensionVersion: z.string().nullable(),
				vscodeVersion: z.string().nullable(),
				lastSeenAt: z.string(),
			}),
		)
		.optional(),
	/** Until when the newest organization token issued to them still works (absent: none lives). */
	organizationTokenUntil: z.string().optional(),
	/** Until when the unused password reset link an admin made for them works (absent: none). */
	passwordResetUntil: z.string().optional(),
	/** Their VS Code's utility-model settings against what the policy names (absent: it names none). */
	vscodeChat: z
		.object({
			expected: z.object({ utilityModel: z.string().nullable(), utilitySmallModel: z.string().nullable() }),
			reported: z
				.object({ supported: z.boolean(), utilityModel: z.string().nullable(), utilitySmallModel: z.string().nullable(), at: z.string() })
				.optional(),
			drifted: z.boolean(),
		})
		.optional(),
});
export type MemberView = z.infer<typeof MemberViewSchema>;

export const InvitationViewSchema = z.object({
	email: z.string(),
	role: RoleSchema,
	createdAt: z.string(),
	expiresAt: z.string(),
	createdBy: z.string(),
});
export type InvitationView = z.infer<typeof InvitationViewSchema>;

export const RevisionViewSchema = z.object({
	revision: z.number(),
	updatedAt: z.string(),
	updatedBy: z.string(),
	enabled: z.boolean(),
	changes: z.array(z.object({ path: z.string(), before: z.string().optional(), after: z.string().optional() })),
});
export type RevisionView = z.infer<typeof RevisionViewSchema>;

function vscodeChatView({ expected, reported, drifted }: VsCodeChatStatus): NonNullable<MemberView['vscodeChat']> {
	return { expected, drifted, ...(reported ? { reported: { ...reported, at: isoTime(reported.at) } } : {}) };
}

export function memberView(
	user: UserRecord,
	currentRevision: number,
	{
		organizationTokenUntil,
		passwordResetUntil,
		vscodeChat,
		extensionTooOld = false,
		signIns = [],
	}: {
		organizationTokenUntil?: number | undefined;
		passwordResetUntil?: number | undefined;
		vscodeChat?: VsCodeChatStatus | undefined;
		extensionTooOld?: boolean;
		/** Their machines: the one furthest behind sets their sync state (none: their own last report does). */
		signIns?: readonly SignInReport[];
	} = {},
): MemberView {
	const lagging = laggingReport(user, signIns);
	return {
		...(vscodeChat ? { vscodeChat: vscodeChatView(vscodeChat) } : {}),
		...(organizationTokenUntil !== undefined ? { organizationTokenUntil: isoTime(organizationTokenUntil) } : {}),
		...(passwordResetUntil !== undefined ? { passwordResetUntil: isoTime(passwordResetUntil) } : {}),
		...(signIns.length > 0
			? {
					signIns: signIns.map(({ familyId, appliedRevision, policySchema, extensionVersion, vscodeVersion, lastSeenAt }) => ({
						id: familyId,
						appliedRevision,
						policySchema,
						extensionVersion,
						vscodeVersion,
						lastSeenAt: isoTime(lastSeenAt),
					})),
				}
			: {}),
		id: user.id,
		email: user.email,
		role: user.role,
		createdAt: isoTime(user.createdAt),
		lastSeenAt: isoTime(user.lastSeenAt),
		appliedRevision: lagging.appliedRevision,
		appliedAt: isoTime(user.appliedAt),
		deactivatedAt: isoTime(user.deactivatedAt),
		policySchema: lagging.policySchema,
		sync:
			user.deactivatedAt !== null
				? 'deactivated'
				: lagging.appliedRevision !== null && lagging.appliedRevision >= currentRevision
					? 'in sync'
					: // Whether they hold an older revision or none yet, only an update brings them this one.
						extensionTooOld
						? 'extension too old'
						: user.appliedRevision === null
							? 'never synced'
							: 'behind',
	};
}

export function invitationView({ email, role, createdAt, expiresAt, createdBy }: InvitationRecord): InvitationView {
	return { email, role, createdAt: isoTime(createdAt), expiresAt: isoTime(expiresAt), createdBy };
}

export function revisionView(revision: PublishedRevision, previous: PublishedRevision | undefined): RevisionView {
	return {
		revision: revision.revision,
		updatedAt: isoTime(revision.createdAt),
		updatedBy: revision.createdBy,
		enabled: revision.signed.policy.enabled,
		changes: diffSettings(previous && settingsOfRevision(previous), settingsOfRevision(revision)),
	};
}
