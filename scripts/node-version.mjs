// Shared by the project's scripts: refuse to run on a Node older than the project targets.
const [major, minor] = process.versions.node.split('.').map(Number);
export const MINIMUM = { major: 22, minor: 19 };

export function assertSupportedNode() {
	if (major < MINIMUM.major || (major === MINIMUM.major && minor < MINIMUM.minor)) {
		console.error(
			`Node ${process.versions.node} is too old: this project needs Node ${MINIMUM.major}.${MINIMUM.minor} or newer.\n` +
				'Run ./dev setup (it installs Node 22 from the npm registry into a local cache and uses it), or put a newer Node first on PATH.',
		);
		process.exit(2);
	}
}
