import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IngestedCounts } from './usage-service';

/** Usage totals exported to an OpenTelemetry collector (OTLP/HTTP, JSON), with the Prometheus ones' labels. */
export interface OtlpUsageMetrics {
	record(counts: IngestedCounts): void;
	shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry JS SDK's periodic OTLP/HTTP export. Its resource is only what is given here
 * (no resource detectors: nothing probes cloud metadata addresses).
 */
export function otlpUsageMetrics(url: string, intervalSeconds: number, version: string): OtlpUsageMetrics {
	const provider = new MeterProvider({
		resource: resourceFromAttributes({ 'service.name': 'org-provider-policy', 'service.version': version }),
		readers: [
			new PeriodicExportingMetricReader({
				exporter: new OTLPMetricExporter({ url }),
				exportIntervalMillis: intervalSeconds * 1000,
				exportTimeoutMillis: Math.min(intervalSeconds * 1000, 30_000),
			}),
		],
	});
	const meter = provider.getMeter('org-provider-policy');
	const requests = meter.createCounter('org_policy.usage.requests', {
		description: 'Requests members\' extensions reported, by model (the policy\'s models; others as "other") and outcome',
	});
	const tokens = meter.createCounter('org_policy.usage.tokens', {
		description: "Tokens members' extensions reported, by model and direction (input or output)",
		unit: '{token}',
	});
	return {
		record(counts) {
			requests.add(counts.requests, { model: counts.model, outcome: counts.outcome });
			tokens.add(counts.inputTokens, { model: counts.model, direction: 'input' });
			tokens.add(counts.outputTokens, { model: counts.model, direction: 'output' });
		},
		// Exports what is left before the service stops.
		shutdown: () => provider.shutdown(),
	};
}
