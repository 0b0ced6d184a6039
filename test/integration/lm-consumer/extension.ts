import * as vscode from 'vscode';

/**
 * A stand-in for Cline, Roo Code or Kilo Code's "VS Code LM API" provider: it finds models with
 * `vscode.lm.selectChatModels({ vendor })`, sends requests with tools, reads `response.stream`,
 * and answers tool calls itself. Its activate() returns what the integration suite drives.
 */
const VENDOR = 'org-provider-policy';

export interface ConsumedModel {
	id: string;
	name: string;
	vendor: string;
	family: string;
	version: string;
	maxInputTokens: number;
}

export interface Transcript {
	text: string;
	toolCalls: { callId: string; name: string; input: unknown }[];
	error?: { name: string; code?: string; message: string };
}

const weatherTool: vscode.LanguageModelChatTool = {
	name: 'get_weather',
	description: 'Current weather for a city',
	inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

async function model(id: string): Promise<vscode.LanguageModelChat> {
	const [found] = await vscode.lm.selectChatModels({ vendor: VENDOR, id });
	if (!found) {
		throw new Error(`no model ${id} from ${VENDOR}`);
	}
	return found;
}

async function read(response: vscode.LanguageModelChatResponse): Promise<Transcript> {
	const transcript: Transcript = { text: '', toolCalls: [] };
	for await (const part of response.stream) {
		if (part instanceof vscode.LanguageModelTextPart) {
			transcript.text += part.value;
		} else if (part instanceof vscode.LanguageModelToolCallPart) {
			transcript.toolCalls.push({ callId: part.callId, name: part.name, input: part.input });
		}
	}
	return transcript;
}

async function send(
	id: string,
	messages: vscode.LanguageModelChatMessage[],
	options: vscode.LanguageModelChatRequestOptions = {},
): Promise<Transcript> {
	const source = new vscode.CancellationTokenSource();
	try {
		const response = await (await model(id)).sendRequest(messages, options, source.token);
		return await read(response);
	} catch (error) {
		const failure = error as { name?: string; code?: string; message?: string };
		return {
			text: '',
			toolCalls: [],
			error: { name: failure.name ?? 'Error', ...(failure.code ? { code: failure.code } : {}), message: failure.message ?? String(error) },
		};
	} finally {
		source.dispose();
	}
}

export function activate() {
	return {
		async models(): Promise<ConsumedModel[]> {
			const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
			return models.map(({ id, name, vendor, family, version, maxInputTokens }) => ({ id, name, vendor, family, version, maxInputTokens }));
		},
		ask(id: string, prompt: string): Promise<Transcript> {
			return send(id, [vscode.LanguageModelChatMessage.User(prompt)]);
		},
		/** A whole tool round trip: the model calls the tool, the consumer answers, the model answers. */
		async askWithTool(id: string, prompt: string): Promise<{ first: Transcript; final: Transcript }> {
			const question = vscode.LanguageModelChatMessage.User(prompt);
			const first = await send(id, [question], { tools: [weatherTool], toolMode: vscode.LanguageModelChatToolMode.Required });
			const calls = first.toolCalls.map((call) => new vscode.LanguageModelToolCallPart(call.callId, call.name, call.input as object));
			const results = first.toolCalls.map(
				(call) => new vscode.LanguageModelToolResultPart(call.callId, [new vscode.LanguageModelTextPart('18 °C and sunny')]),
			);
			const final = await send(
				id,
				[question, vscode.LanguageModelChatMessage.Assistant(calls), vscode.LanguageModelChatMessage.User(results)],
				{ tools: [weatherTool] },
			);
			return { first, final };
		},
		/**
		 * Shaped like Cline's "GitHub Copilot (VS Code LM)" provider: the model chosen by its full
		 * selector (vendor, family, version, id), the system prompt sent as the first message with the
		 * Assistant role, native tools, and the tool answered and sent back.
		 */
		async asCline(chosen: ConsumedModel, systemPrompt: string, prompt: string): Promise<{ first: Transcript; final: Transcript }> {
			const { vendor, family, version, id } = chosen;
			const [found] = await vscode.lm.selectChatModels({ vendor, family, version, id });
			if (!found) {
				throw new Error(`No VS Code language model matched selector ${JSON.stringify({ vendor, family, version, id })}`);
			}
			const opening = [vscode.LanguageModelChatMessage.Assistant(systemPrompt), vscode.LanguageModelChatMessage.User(prompt)];
			const first = await send(found.id, opening, { tools: [weatherTool] });
			const calls = first.toolCalls.map((call) => new vscode.LanguageModelToolCallPart(call.callId, call.name, call.input as object));
			const results = first.toolCalls.map(
				(call) => new vscode.LanguageModelToolResultPart(call.callId, [new vscode.LanguageModelTextPart('18 °C and sunny')]),
			);
			const final = await send(
				found.id,
				[...opening, vscode.LanguageModelChatMessage.Assistant(calls), vscode.LanguageModelChatMessage.User(results)],
				{ tools: [weatherTool] },
			);
			return { first, final };
		},
		/**
		 * Shaped like Roo Code's: the first model matching vendor and family only, the prompt's tokens
		 * counted before sending, the system prompt first with the Assistant role, no tools.
		 */
		async asRooCode(family: string, systemPrompt: string, prompt: string): Promise<{ id: string; tokens: number; answer: Transcript }> {
			const [first] = await vscode.lm.selectChatModels({ vendor: VENDOR, family });
			if (!first) {
				throw new Error(`no model of family ${family}`);
			}
			const messages = [vscode.LanguageModelChatMessage.Assistant(systemPrompt), vscode.LanguageModelChatMessage.User(prompt)];
			const source = new vscode.CancellationTokenSource();
			const tokens = await first.countTokens(messages[1]!, source.token);
			source.dispose();
			return { id: first.id, tokens, answer: await send(first.id, messages) };
		},
		async countTokens(id: string, text: string): Promise<number> {
			return (await model(id)).countTokens(text);
		},
	};
}

export type LanguageModelConsumer = ReturnType<typeof activate>;
