import { readFileSync } from 'node:fs';

/**
 * axe-core (Deque's accessibility engine), evaluated in a page or frame through the browser's
 * debugging protocol, which the page's Content-Security-Policy does not govern: the console and the
 * chat view load no script but their own.
 */
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.2 levels A and AA (2.0 and 2.1 included), and axe's best practices. */
const RULES = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

interface Finding {
	id: string;
	impact: string | null;
	nodes: { target: string[]; failureSummary?: string }[];
}

/** What axe finds in the document as it is now, each finding with the elements at fault and why. */
export async function axeFindings(document: { evaluate(expression: string): Promise<unknown> }): Promise<string[]> {
	await document.evaluate(AXE);
	const violations = (await document.evaluate(
		`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(RULES)} } }).then((result) => result.violations)`,
	)) as Finding[];
	return violations.flatMap((violation) =>
		violation.nodes.map(
			(node) => `${violation.impact} ${violation.id}: ${node.target.join(' ')} — ${node.failureSummary?.replace(/\s+/g, ' ')}`,
		),
	);
}
