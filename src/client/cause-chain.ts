/** The chain of `cause`s under an error (bounded: a cyclic chain must not hang the explanation). */
export function causes(error: unknown): unknown[] {
	const chain: unknown[] = [];
	for (let cause: unknown = error; cause && chain.length < 10; cause = (cause as { cause?: unknown }).cause) {
		chain.push(cause);
	}
	return chain;
}

export function causeCode(error: unknown): string | undefined {
	const code = causes(error)
		.map((cause) => (cause as { code?: unknown }).code)
		.find((candidate) => typeof candidate === 'string');
	return code as string | undefined;
}
