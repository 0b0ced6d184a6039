import assert from 'node:assert/strict';
import { modelSettingLines } from '../../src/extension/features/model-settings-text';
import { ModelSettingsSchema } from '../../src/policy';

describe("Show Effective Policy: each model's settings in a member's words", () => {
	it('says what the policy does to each model’s requests, and nothing for a model left at the defaults', () => {
		const lines = modelSettingLines({
			'gpt-5': ModelSettingsSchema.parse({
				api: 'responses',
				reasoning: true,
				reasoningEfforts: ['low', 'high'],
				reasoningSummary: 'auto',
				store: true,
				pinned: { verbosity: 'low' },
			}),
			'gpt-4o': ModelSettingsSchema.parse({
				displayName: 'GPT-4o (Acme)',
				contextWindow: 128_000,
				maxOutputTokens: 4096,
				toolCalling: false,
				imageInput: true,
				pinned: { temperature: 0.2 },
				forbidden: ['seed'],
				tokenizer: 'o200k_base',
			}),
			'gpt-4o-mini': ModelSettingsSchema.parse({}),
		});
		assert.deepEqual(lines, [
			'  - gpt-5: called through the Responses API; a reasoning model (temperature, top_p and the penalties are not sent); always sent: verbosity low; reasoning effort you may pick: low, high (low unless you pick another); the chat view asks for a summary of its reasoning (auto) and shows it as its thinking; the endpoint stores your conversations with it',
			'  - gpt-4o: shown as “GPT-4o (Acme)”; context window 128,000 tokens; answers capped at 4,096 tokens; no tools; takes images; always sent: temperature 0.2; removed from every request: seed; tokens counted with o200k_base',
		]);
		assert.deepEqual(modelSettingLines(undefined), []);
	});
});
