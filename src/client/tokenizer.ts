import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import type { TokenizerName } from '../policy';

/** Exact token counts for the public OpenAI encodings (bundled apart: loaded on the first count). */
export function countTokens(tokenizer: TokenizerName, text: string): number {
	return tokenizer === 'o200k_base' ? countO200k(text) : countCl100k(text);
}
