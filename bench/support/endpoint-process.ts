// A recording OpenAI-compatible endpoint in its own process, answering without artificial delays.
import { FakeEndpoint } from '../../test/support/fake-endpoint';

void FakeEndpoint.start().then((endpoint) => {
	endpoint.behaviour = { chunkDelayMs: 0 };
	// Keep memory flat over thousands of requests.
	setInterval(() => (endpoint.requests.length = 0), 1000).unref();
	process.stdout.write(`${endpoint.url}\n`);
});
