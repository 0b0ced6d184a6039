import type { ModelSettings } from '../../policy';

const count = (tokens: number) => tokens.toLocaleString('en-US');

/**
 * What the policy does to each model's requests, in a member's words: why an assistant's
 * temperature is not sent, which effort goes out, whether the endpoint keeps the conversation.
 */
export function modelSettingLines(settings: Readonly<Record<string, ModelSettings>> | undefined): string[] {
	return Object.entries(settings ?? {}).flatMap(([model, setting]) => {
		const pinned = Object.entries(setting.pinned).filter(([, value]) => value !== undefined);
		const said = [
			setting.displayName && `shown as “${setting.displayName}”`,
			setting.api === 'responses' && 'called through the Responses API',
			setting.reasoning && 'a reasoning model (temperature, top_p and the penalties are not sent)',
			setting.contextWindow !== undefined && `context window ${count(setting.contextWindow)} tokens`,
			setting.maxOutputTokens !== undefined && `answers capped at ${count(setting.maxOutputTokens)} tokens`,
			!setting.toolCalling && 'no tools',
			setting.imageInput && 'takes images',
			pinned.length > 0 && `always sent: ${pinned.map(([name, value]) => `${name} ${String(value)}`).join(', ')}`,
			setting.forbidden.length > 0 && `removed from every request: ${setting.forbidden.join(', ')}`,
			setting.reasoningEfforts &&
				`reasoning effort you may pick: ${setting.reasoningEfforts.join(', ')}${setting.reasoning ? ` (${setting.reasoningEfforts[0]} unless you pick another)` : ''}`,
			setting.reasoningSummary &&
				`the chat view asks for a summary of its reasoning (${setting.reasoningSummary}) and shows it as its thinking`,
			setting.store && setting.api === 'responses' && 'the endpoint stores your conversations with it',
			setting.tokenizer && `tokens counted with ${setting.tokenizer}`,
		].filter((words): words is string => typeof words === 'string');
		return said.length ? [`  - ${model}: ${said.join('; ')}`] : [];
	});
}
