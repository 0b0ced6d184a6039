import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** How many responses went to one method of one route with one status. */
export interface ResponseCount {
	readonly method: string;
	/** The route's pattern (`/api/v1/admin/members/:id`), or `unmatched` when no route matched. */
	readonly route: string;
	readonly status: number;
	readonly count: number;
}

export class ServiceMetrics {
	readonly registry = new Registry();
	/** Where responses are counted (see ResponseCounter): handed to prom-client when scraped. */
	private requestCounts: { counts(): Iterable<ResponseCount> } | undefined;
	readonly requests = new Counter({
		name: 'org_policy_http_requests_total',
		help: 'HTTP requests by route and status.',
		labelNames: ['method', 'route', 'status'] as const,
		registers: [this.registry],
		collect: () => {
			this.requests.reset();
			for (const { method, route, status, count } of this.requestCounts?.counts() ?? []) {
				this.requests.inc({ method, route, status: String(status) }, count);
			}
		},
	});

	/**
	 * Counting each request in prom-client itself (its `inc` hashes and checks the labels on every
	 * call) cost the policy read about 8% of its throughput, so the counts are read when scraped.
	 */
	countRequestsFrom(source: { counts(): Iterable<ResponseCount> }): void {
		this.requestCounts = source;
	}

	readonly sseSubscribers = new Gauge({
		name: 'org_policy_sse_subscribers',
		help: 'Open policy event streams.',
		registers: [this.registry],
	});
	readonly currentRevision = new Gauge({
		name: 'org_policy_current_revision',
		help: 'Newest policy revision per organization.',
		labelNames: ['org'] as const,
		registers: [this.registry],
	});
	readonly revisionsPublished = new Counter({
		name: 'org_policy_revisions_published_total',
		help: 'Policy revisions saved and fanned out.',
		labelNames: ['org'] as const,
		registers: [this.registry],
	});
	readonly eventsSent = new Counter({
		name: 'org_policy_sse_events_sent_total',
		help: 'Policy events written to member streams (propagation).',
		registers: [this.registry],
	});
	readonly effectiveDocumentsSigned = new Counter({
		name: 'org_policy_effective_documents_signed_total',
		help: 'Effective documents signed for group overlays (one per distinct set of overlays and revision, not per member).',
		registers: [this.registry],
	});
	readonly revisionsApplied = new Counter({
		name: 'org_policy_revisions_applied_total',
		help: 'Revisions members reported as applied (propagation acknowledged).',
		labelNames: ['org'] as const,
		registers: [this.registry],
	});

	readonly usageRequests = new Counter({
		name: 'org_policy_usage_requests_total',
		help: 'Requests members\' extensions reported, by model (the policy\'s models; others as "other") and outcome.',
		labelNames: ['model', 'outcome'] as const,
		registers: [this.registry],
	});
	readonly usageTokens = new Counter({
		name: 'org_policy_usage_tokens_total',
		help: "Tokens members' extensions reported, by model and direction (input or output).",
		labelNames: ['model', 'direction'] as const,
		registers: [this.registry],
	});

	/** A usage report's counts, without the member (bounded labels). */
	recordUsage(counts: { model: string; outcome: string; requests: number; inputTokens: number; outputTokens: number }): void {
		this.usageRequests.inc({ model: counts.model, outcome: counts.outcome }, counts.requests);
		this.usageTokens.inc({ model: counts.model, direction: 'input' }, counts.inputTokens);
		this.usageTokens.inc({ model: counts.model, direction: 'output' }, counts.outputTokens);
	}

	constructor() {
		collectDefaultMetrics({ register: this.registry, prefix: 'org_policy_' });
	}
}
