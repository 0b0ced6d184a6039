import type { ModelSettings } from '../../policy';
import { estimateTokens, tokenizerFor } from './model-information';

type TokenizerModule = typeof import('../../client/tokenizer');

/**
 * Token counts for a model: exact with the model's public encoding (the tokenizer's encodings are
 * several MB, so loaded on the first count), else the documented estimate.
 */
export class TokenCounter {
	private module: TokenizerModule | undefined;

	constructor(
		private readonly load: () => TokenizerModule,
		private readonly settingsOf: (model: string) => ModelSettings | undefined,
	) {}

	count(model: string, text: string): number {
		const tokenizer = tokenizerFor(model, this.settingsOf(model));
		if (!tokenizer) {
			return estimateTokens(text);
		}
		this.module ??= this.load();
		return this.module.countTokens(tokenizer, text);
	}
}
