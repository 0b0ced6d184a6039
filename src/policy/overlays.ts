import * as z from 'zod';

import { BaseUrlSchemaV2, HeadersSchema } from './http-rules';
import { LIMITS } from './limits';
import { ModelsSchema, text } from './provider-schema';
import { BudgetSchema } from './usage';

/**
 * Group overlays: the organization's policy, then each overlay whose group a member is in, in the
 * order the admin set (a later one wins where two change the same thing). An overlay changes what
 * members of its group may use — the allowed models, the default and their per-model settings —,
 * adds or replaces custom headers, sets their monthly budget, and, only where the organization's
 * policy allows it (`overlaysMayChangeEndpoint`), sends them to another base URL. Never the
 * credential. Members receive one effective document naming the overlays applied, never another
 * group's overlay.
 */

export const MAX_OVERLAYS = 50;

/** What an overlay may change, in the order the console shows them. */
export const OVERLAY_CHANGES = ['models', 'headers', 'budget', 'baseUrl'] as const;

export const OverlaySchema = z
	.strictObject({
		/** The group's name, as the console, the directory or the sign-in claim names it (any case). */
		group: text(LIMITS.nameLength),
		/** Replaces the organization's model list for the group's members. */
		models: ModelsSchema.optional(),
		/** Added to the organization's custom headers; one of the same name (any case) is replaced. */
		headers: HeadersSchema.optional(),
		/** Replaces the organization's monthly budget for the group's members. */
		budget: BudgetSchema.optional(),
		/** Another endpoint for the group's members: only where the organization allows overlays to change it. */
		baseUrl: BaseUrlSchemaV2.optional(),
	})
	.refine((overlay) => OVERLAY_CHANGES.some((change) => overlay[change] !== undefined), {
		message: `must change something: ${OVERLAY_CHANGES.join(', ')}`,
	});

export const OverlaysSchema = z
	.array(OverlaySchema, 'must be a list of group overlays')
	.max(MAX_OVERLAYS, `must hold at most ${MAX_OVERLAYS} overlays`)
	.superRefine((overlays, ctx) => {
		const seen = new Set<string>();
		overlays.forEach((overlay, index) => {
			const key = overlay.group.toLowerCase();
			if (seen.has(key)) {
				ctx.addIssue({ code: 'custom', path: [index, 'group'], message: `${overlay.group} has an overlay already (one per group)` });
			}
			seen.add(key);
		});
	});

export type Overlay = z.infer<typeof OverlaySchema>;

/** The parts of a provider an overlay touches. */
interface OverlaidProvider {
	baseUrl: string;
	headers: Record<string, string>;
	models?: Overlay['models'] | undefined;
}

/** What an overlay-aware document carries: the definitions (stored with the revision) or the names applied (what a member gets). */
interface OverlaidDocument {
	provider?: OverlaidProvider | undefined;
	usage?: { reporting: 'off' | 'counts'; budget?: Overlay['budget'] | undefined } | undefined;
	overlays?: Overlay[] | undefined;
	overlaysMayChangeEndpoint?: boolean | undefined;
	appliedOverlays?: string[] | undefined;
}

/** The overlays that apply to a member in `groups` (names, any case), in the admin's order. */
export function overlaysFor(overlays: readonly Overlay[] | undefined, groups: Iterable<string>): Overlay[] {
	const member = new Set([...groups].map((name) => name.toLowerCase()));
	return (overlays ?? []).filter((overlay) => member.has(overlay.group.toLowerCase()));
}

/** `headers` with `extra` added; an existing header of the same name in any case gives way. */
export function withExtraHeaders(headers: Record<string, string>, extra: Record<string, string> | undefined): Record<string, string> {
	if (!extra) {
		return headers;
	}
	const replaced = new Set(Object.keys(extra).map((name) => name.toLowerCase()));
	return { ...Object.fromEntries(Object.entries(headers).filter(([name]) => !replaced.has(name.toLowerCase()))), ...extra };
}

/** The provider with one overlay applied. */
export function overlaidProvider<P extends OverlaidProvider>(provider: P, overlay: Overlay): P {
	return {
		...provider,
		...(overlay.models ? { models: overlay.models } : {}),
		...(overlay.headers ? { headers: withExtraHeaders(provider.headers, overlay.headers) } : {}),
		...(overlay.baseUrl ? { baseUrl: overlay.baseUrl } : {}),
	};
}

/**
 * The document a member in `groups` receives: the organization's, with each applicable overlay
 * applied in order, without any overlay's definition, naming the overlays applied.
 */
export function effectiveDocument<T extends OverlaidDocument>(document: T, groups: Iterable<string>): T {
	const { overlays, overlaysMayChangeEndpoint: _endpoint, appliedOverlays: _applied, ...base } = document;
	const applied = overlaysFor(overlays, groups);
	let provider = base.provider;
	let usage = base.usage;
	for (const overlay of applied) {
		provider = provider && overlaidProvider(provider, overlay);
		usage = usage && overlay.budget ? { ...usage, budget: overlay.budget } : usage;
	}
	return {
		...base,
		...(provider ? { provider } : {}),
		...(usage ? { usage } : {}),
		...(applied.length > 0 ? { appliedOverlays: applied.map((overlay) => overlay.group) } : {}),
	} as T;
}

/**
 * A short, stable name for a set of applied overlays, for ETags: two members with the same overlays
 * share one representation (FNV-1a over the names, in order).
 */
export function overlayFingerprint(applied: readonly string[] | undefined): string {
	if (!applied?.length) {
		return '';
	}
	return fnv1a(applied.join('\u0000')).toString(36);
}

/** 32-bit FNV-1a over a text's code points: a small, stable, non-cryptographic hash (fingerprints, buckets). */
export function fnv1a(text: string): number {
	let hash = 0x811c9dc5;
	for (const char of text) {
		hash ^= char.codePointAt(0)!;
		hash = Math.imul(hash, 0x01000193) >>> 0;
	}
	return hash;
}
