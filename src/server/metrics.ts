import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class ServiceMetrics {
	readonly registry = new Registry();
	/**
	 * Counted in a plain map and handed to prom-client when scraped: its `inc` hashes and checks the
	 * labels on every call, which cost the policy read, the hottest route, about 8% of its throughput.
	 */
	private readonly requestCounts = new Map<string, { labels: { method: string; route: string; status: string }; count: number }>();
	readonly requests = new Counter({
		name: 'org_policy_http_requests_total',
		help: 'HTTP requests by route and status.',
		labelNames: ['method', 'route', 'status'] as const,
		registers: [this.registry],
		collect: () => {
			this.requests.reset();
			for (const { labels, count } of this.requestCounts.values()) {
				this.requests.inc(labels, count);
			}
		},
	});

	/** One request answered: its method, route pattern (`unmatched` for a 404) and status. */
	countRequest(method: string, route: string, status: number): void {
		const key = `${method} ${status} ${route}`;
		const entry = this.requestCounts.get(key);
		if (entry) {
			entry.count++;
		} else {
			this.requestCounts.set(key, { labels: { method, route, status: String(status) }, count: 1 });
		}
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
