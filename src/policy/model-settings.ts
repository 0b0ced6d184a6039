import * as z from 'zod';

/** Request parameters schema version 2 lets an admin pin or forbid (frozen: what its members validate). */
const REQUEST_PARAMETERS_V2 = [
	'temperature',
	'top_p',
	'presence_penalty',
	'frequency_penalty',
	'seed',
	'max_tokens',
	'max_completion_tokens',
	'reasoning_effort',
] as const;
/** Request parameters an admin may pin or forbid per model (schema version 3 added `verbosity`). */
export const REQUEST_PARAMETERS = [...REQUEST_PARAMETERS_V2, 'verbosity'] as const;
export type RequestParameter = (typeof REQUEST_PARAMETERS)[number];

/** How long an answer a model gives (gpt-5 and later; Chat Completions' `verbosity`, the Responses API's `text.verbosity`). */
export const VERBOSITIES = ['low', 'medium', 'high'] as const;

export const TOKENIZERS = ['o200k_base', 'cl100k_base'] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

/** Reasoning efforts schema version 2 knows (frozen: what its members validate). */
export const REASONING_EFFORTS_V2 = ['minimal', 'low', 'medium', 'high'] as const;
/** Reasoning efforts the APIs take today (schema version 3 added `none` and `xhigh`). */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** How much of its reasoning a model summarizes for the member (the Responses API's `reasoning.summary`). */
export const REASONING_SUMMARIES = ['auto', 'concise', 'detailed'] as const;
export type ReasoningSummary = (typeof REASONING_SUMMARIES)[number];

/** The wire API a model is called through: never guessed from its name. */
export const MODEL_APIS = ['chat-completions', 'responses'] as const;
export type ModelApi = (typeof MODEL_APIS)[number];

function pinnedShape<const Efforts extends readonly [string, ...string[]]>(efforts: Efforts) {
	return {
		temperature: z.number('must be a number').min(0, 'must be between 0 and 2').max(2, 'must be between 0 and 2').optional(),
		top_p: z.number('must be a number').min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
		presence_penalty: z.number('must be a number').min(-2, 'must be between -2 and 2').max(2, 'must be between -2 and 2').optional(),
		frequency_penalty: z.number('must be a number').min(-2, 'must be between -2 and 2').max(2, 'must be between -2 and 2').optional(),
		seed: z.int('must be a whole number').optional(),
		reasoning_effort: z.enum(efforts, `must be ${efforts.slice(0, -1).join(', ')} or ${efforts.at(-1)}`).optional(),
	};
}

const forbiddenSchema = <const Names extends readonly [string, ...string[]]>(names: Names) =>
	z
		.array(z.enum(names, `must be one of ${names.join(', ')}`), 'must be a list of parameter names')
		.max(names.length)
		.default([]);

/** The per-model settings schema version 2 introduced. */
const modelSettingsShapeV2 = {
	displayName: z.string('must be a string').min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
	/** Input tokens the model accepts. */
	contextWindow: z
		.int('must be a whole number of tokens')
		.min(1024, 'must be at least 1024 tokens')
		.max(10_000_000, 'must be at most 10,000,000 tokens')
		.optional(),
	/** Output tokens the model may produce; sent as the request's output cap. */
	maxOutputTokens: z
		.int('must be a whole number of tokens')
		.min(1, 'must be at least 1 token')
		.max(1_000_000, 'must be at most 1,000,000 tokens')
		.optional(),
	toolCalling: z.boolean('must be true or false').default(true),
	imageInput: z.boolean('must be true or false').default(false),
	/**
	 * A reasoning model (o-series, gpt-5 and the like): it takes `max_completion_tokens` and
	 * refuses `temperature`, `top_p` and the penalties.
	 */
	reasoning: z.boolean('must be true or false').default(false),
	/** Parameters sent with every request to this model. */
	pinned: z.strictObject(pinnedShape(REASONING_EFFORTS_V2)).default({}),
	/** Parameters removed from every request to this model, whoever asks for them. */
	forbidden: forbiddenSchema(REQUEST_PARAMETERS_V2),
	/** The tokenizer whose counts match the model; without one, counts are estimated. */
	tokenizer: z.enum(TOKENIZERS, `must be ${TOKENIZERS.join(' or ')}`).optional(),
};

function checkModelSettings(
	model: { forbidden: string[]; pinned: Record<string, unknown>; reasoning: boolean },
	ctx: z.RefinementCtx,
): void {
	for (const name of model.forbidden) {
		if (name in model.pinned) {
			ctx.addIssue({ code: 'custom', message: `${name} is both pinned and forbidden`, path: ['forbidden'] });
		}
	}
	if (model.reasoning) {
		for (const name of ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty'] as const) {
			if (model.pinned[name] !== undefined) {
				ctx.addIssue({ code: 'custom', message: `reasoning models refuse ${name}`, path: ['pinned', name] });
			}
		}
	}
}

/** Schema version 2's model settings, frozen: exactly what members of that release validate. */
export const ModelSettingsSchemaV2 = z.strictObject(modelSettingsShapeV2).superRefine(checkModelSettings);

/**
 * What the organization says about one allowed model (schema version 3). The client derives its
 * request parameters from this, never from the model's name: a deployment called `prod-chat` may
 * well be a reasoning model, and one called `gpt-5.2-codex` may be served only by the Responses API.
 */
export const ModelSettingsSchema = z
	.strictObject({
		...modelSettingsShapeV2,
		pinned: z
			.strictObject({
				...pinnedShape(REASONING_EFFORTS),
				verbosity: z.enum(VERBOSITIES, `must be ${VERBOSITIES.slice(0, -1).join(', ')} or ${VERBOSITIES.at(-1)}`).optional(),
			})
			.default({}),
		forbidden: forbiddenSchema(REQUEST_PARAMETERS),
		/** Chat Completions (every OpenAI-compatible server; the default) or the Responses API (codex models on Azure). */
		api: z.enum(MODEL_APIS, `must be ${MODEL_APIS.join(' or ')}`).optional(),
		/**
		 * Responses API only: let the service store conversations (`store: true`). Off by default:
		 * conversations are sent whole each time and kept nowhere but the member's assistant.
		 */
		store: z.boolean('must be true or false').optional(),
		/**
		 * The efforts a member's assistant may ask for (its `reasoning_effort` model option); a request
		 * to a reasoning model that asks for none of them is sent with the first, so none leaves the set
		 * (a model's own default differs between models). The alternative to pinning one effort for everyone.
		 */
		reasoningEfforts: z
			.array(z.enum(REASONING_EFFORTS, `must be ${REASONING_EFFORTS.slice(0, -1).join(', ')} or ${REASONING_EFFORTS.at(-1)}`))
			.min(1, 'must allow at least one effort')
			.max(REASONING_EFFORTS.length)
			.optional(),
		/**
		 * Responses API reasoning models only: ask for a summary of the model's reasoning, which the
		 * chat view shows as its thinking. Off by default: Azure gives some models' summaries only to
		 * resources approved for them, and refuses the request otherwise.
		 */
		reasoningSummary: z
			.enum(REASONING_SUMMARIES, `must be ${REASONING_SUMMARIES.slice(0, -1).join(', ')} or ${REASONING_SUMMARIES.at(-1)}`)
			.optional(),
	})
	.superRefine(checkModelSettings)
	.superRefine((model, ctx) => {
		if (model.reasoningEfforts && model.pinned.reasoning_effort !== undefined) {
			ctx.addIssue({ code: 'custom', message: 'pin one effort or allow a set members pick from, not both', path: ['reasoningEfforts'] });
		}
		if (model.reasoningSummary !== undefined && (model.api !== 'responses' || !model.reasoning)) {
			ctx.addIssue({
				code: 'custom',
				message: 'only a reasoning model called through the Responses API summarizes its reasoning',
				path: ['reasoningSummary'],
			});
		}
	});

export type ModelSettings = z.infer<typeof ModelSettingsSchema>;
export type ModelSettingsInput = z.input<typeof ModelSettingsSchema>;

/** The request parameters a model's settings call for, given what the caller asked for. */
export function requestParameters(
	settings: ModelSettings | undefined,
	asked: Partial<Record<RequestParameter, unknown>> = {},
): Record<string, unknown> {
	const forbidden = new Set<string>(settings?.forbidden ?? []);
	if (settings?.reasoning) {
		['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'max_tokens'].forEach((name) => forbidden.add(name));
	}
	// A caller's output cap means the same to a reasoning model, under the name it takes.
	const wanted =
		settings?.reasoning && asked.max_tokens !== undefined && asked.max_completion_tokens === undefined
			? { ...asked, max_completion_tokens: asked.max_tokens }
			: asked;
	const parameters: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(wanted)) {
		if ((REQUEST_PARAMETERS as readonly string[]).includes(name) && value !== undefined && !forbidden.has(name)) {
			parameters[name] = value;
		}
	}
	const allowedEfforts = settings?.reasoningEfforts as readonly unknown[] | undefined;
	if (allowedEfforts && !allowedEfforts.includes(parameters['reasoning_effort'])) {
		delete parameters['reasoning_effort'];
		// Left to the model, a reasoning model might use an effort outside the set (its own default
		// differs between models). One not marked as reasoning may refuse the parameter outright.
		if (settings?.reasoning && !forbidden.has('reasoning_effort')) {
			parameters['reasoning_effort'] = allowedEfforts[0];
		}
	}
	Object.assign(parameters, settings?.pinned ?? {});
	if (settings?.maxOutputTokens !== undefined) {
		const field = settings.reasoning ? 'max_completion_tokens' : 'max_tokens';
		if (!forbidden.has(field)) {
			const askedCap = typeof parameters[field] === 'number' ? (parameters[field] as number) : Infinity;
			parameters[field] = Math.min(askedCap, settings.maxOutputTokens);
		}
	}
	return parameters;
}
