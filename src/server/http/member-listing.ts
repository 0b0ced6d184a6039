import * as z from 'zod';
import type { MemberStanding } from '../policy/member-standing';
import type { Store, UserRecord } from '../store/store';
import { memberView, MemberViewSchema, type MemberView } from './views';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

export type SyncLabel = MemberView['sync'];
export const SYNC_LABELS: readonly SyncLabel[] = MemberViewSchema.shape.sync.options;

/** How many members are in each sync state, every state named (an object, so generated clients get a field per state). */
export const SyncCountsSchema = z.object(
	Object.fromEntries(SYNC_LABELS.map((label) => [label, z.number().int()])) as Record<SyncLabel, z.ZodNumber>,
);

const PAGE_SIZE = 'must be a whole number from 1 to 1000';
const SKIPPED = 'must be a whole number, 0 or more';

/** How the members list is narrowed and cut: the admin API's query, and the console's search form. */
export const MemberListingQuerySchema = z.object({
	q: z
		.string()
		.max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
		.optional()
		.describe('Part of an e-mail address or of a group name, in any case'),
	sync: z.enum(SYNC_LABELS).optional().describe('Only members in this sync state'),
	group: z.string().max(200, 'must be at most 200 characters').optional().describe('Only members of this group (its name, in any case)'),
	limit: z.coerce
		.number()
		.int(PAGE_SIZE)
		.min(1, PAGE_SIZE)
		.max(1000, PAGE_SIZE)
		.optional()
		.describe('At most this many members (default: all)'),
	offset: z.coerce.number().int(SKIPPED).min(0, SKIPPED).optional().describe('Members to skip, in e-mail order'),
});
export type MemberListingQuery = z.infer<typeof MemberListingQuerySchema>;

export interface MemberListing {
	/** Every member of the organization. */
	readonly total: number;
	/** Members the search, the group and the sync state match. */
	readonly matching: number;
	/** Members the search and the group match, by sync state (what each choice of state would show). */
	readonly counts: Record<SyncLabel, number>;
	/** The matching members within `offset` and `limit`, in e-mail order. */
	readonly members: MemberView[];
}

/**
 * The members an admin asked for, in e-mail order. A search matches part of an address or of the name
 * of one of the member's groups: an organization of thousands finds a person, a team, or everyone
 * still behind, without a page of every member.
 */
export function listMembers(
	all: readonly MemberView[],
	groupsOf: ReadonlyMap<string, readonly string[]>,
	{ q, sync, group, limit, offset = 0 }: MemberListingQuery,
): MemberListing {
	const needle = q?.trim().toLowerCase() ?? '';
	const team = group?.trim().toLowerCase() ?? '';
	const found = all.filter((member) => {
		const groups = groupsOf.get(member.id) ?? [];
		return (
			(!team || groups.some((each) => each.toLowerCase() === team)) &&
			(!needle || member.email.toLowerCase().includes(needle) || groups.some((each) => each.toLowerCase().includes(needle)))
		);
	});
	const counts = Object.fromEntries(SYNC_LABELS.map((label) => [label, 0])) as Record<SyncLabel, number>;
	for (const member of found) {
		counts[member.sync]++;
	}
	const matching = (sync ? found.filter((member) => member.sync === sync) : found).sort((a, b) =>
		a.email < b.email ? -1 : a.email > b.email ? 1 : 0,
	);
	return {
		total: all.length,
		matching: matching.length,
		counts,
		members: matching.slice(offset, limit === undefined ? undefined : offset + limit),
	};
}

/**
 * Each member as the admin API and the console's Members page list them: in sync against the
 * revision they are served, until when their organization token lives (`tokens`, by member id),
 * and their VS Code's utility models against that revision's.
 */
/** What the listing shows beside each member from elsewhere, by member id: until when their organization token and their unused password reset link work. */
export interface MemberExtras {
	organizationTokens: ReadonlyMap<string, number>;
	passwordResets: ReadonlyMap<string, number>;
}

export async function memberExtras(store: Pick<Store, 'tokenKeys' | 'passwordResets'>, orgId: string, now: number): Promise<MemberExtras> {
	const [organizationTokens, passwordResets] = await Promise.all([
		store.tokenKeys.liveGrants(orgId, now),
		store.passwordResets.pendingUntil(orgId, now),
	]);
	return { organizationTokens, passwordResets };
}

export function memberViews(
	users: readonly UserRecord[],
	standing: Pick<MemberStanding, 'servedRevision' | 'vscodeChat' | 'extensionTooOld' | 'signInsOf'>,
	extras: MemberExtras,
): MemberView[] {
	return users.map((member) =>
		memberView(member, standing.servedRevision(member), {
			organizationTokenUntil: extras.organizationTokens.get(member.id),
			passwordResetUntil: extras.passwordResets.get(member.id),
			vscodeChat: standing.vscodeChat(member),
			extensionTooOld: standing.extensionTooOld(member),
			signIns: standing.signInsOf(member),
		}),
	);
}
