import type { FastifyInstance } from 'fastify';
import type { Tokens } from './accounts';
import type { PolicyEvents, PolicyService } from './policy/policy-service';
import type { StreamHub } from './policy/stream-hub';
import type { Store } from './store/store';

const PURGE_INTERVAL_MS = 3600_000;

/**
 * Another instance's changes, heard through the shared store (PostgreSQL's LISTEN/NOTIFY): its
 * revisions are read, its revocations end this instance's streams too, and after notifications
 * were lost everything they could have said is read again.
 */
export function followOtherInstances(
	app: FastifyInstance,
	{
		store,
		policies,
		tokens,
		events,
		hub,
		regroup,
		rolloutEnded,
	}: {
		store: Store;
		policies: PolicyService;
		tokens: Tokens;
		events: PolicyEvents;
		hub: StreamHub;
		/** Members' groups changed on another instance: their open streams here get what their groups make. */
		regroup: (orgId: string) => void;
		/** A rollout was promoted or rolled back on another instance. */
		rolloutEnded: (orgId: string) => void;
	},
): void {
	const resync = async () => {
		for (const org of await store.listOrganizations()) {
			await policies.reloadLatest(org.id);
			regroup(org.id);
			rolloutEnded(org.id);
		}
		await hub.endInvalid((token) => tokens.stillValid(token.hash));
	};
	const stopExternal = store.onExternalChange?.((change) => {
		if (change.kind === 'revision') {
			policies
				.reloadLatest(change.orgId)
				.catch((error: unknown) => app.log.error({ err: error }, 'could not read a revision saved by another instance'));
		} else if (change.kind === 'groups') {
			regroup(change.orgId);
		} else if (change.kind === 'rollout') {
			rolloutEnded(change.orgId);
		} else if (change.kind === 'account') {
			// Another instance changed someone's role: their next request reads it.
			tokens.forgetPrincipals({ userId: change.userId });
		} else if (change.kind === 'revoked') {
			// Another instance revoked tokens: end this instance's streams that used them, too.
			tokens.forgetPrincipals(change);
			events.publishRevoked(change);
		} else {
			// Notifications were lost for a while: catch up on revisions and revocations missed.
			tokens.forgetPrincipals();
			void resync().catch((error: unknown) =>
				app.log.error({ err: error }, 'could not catch up after the notification connection came back'),
			);
		}
	});
	app.addHook('onClose', async () => stopExternal?.());
}

/** Runs `purge` when the service is ready and every hour after, logging (not failing on) its errors. */
export function purgeHourly(app: FastifyInstance, purge: () => Promise<unknown>): void {
	const run = () => purge().catch((error: unknown) => app.log.warn({ err: error }, 'could not purge expired rows'));
	const timer = setInterval(() => void run(), PURGE_INTERVAL_MS);
	timer.unref();
	app.addHook('onClose', async () => clearInterval(timer));
	app.addHook('onReady', async () => void (await run()));
}
