import { z } from 'zod';

import { LIMITS } from './limits';
import { ModelsSchema, text } from './provider-schema';

/**
 * Group overlays: the organization's policy, then each overlay whose group a member is in, in the
 * order the admin set (a later one wins where two change the same thing). An overlay changes what
 * members of its group may use — the allowed models, the default and their per-model settings —
 * never the endpoint or the credential. Members receive one effective document naming the overlays
 * applied, never another group's overlay.
 */

export const MAX_OVERLAYS = 50;

export const OverlaySchema = z.strictObject({
	/** The group's name, as the console, the directory or the sign-in claim names it (any case). */
	group: text(LIMITS.nameLength),
	/** Replaces the organization's model list for the group's members. */
	models: ModelsSchema,
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

/** What an overlay-aware document carries: the definitions (stored with the revision) or the names applied (what a member gets). */
interface OverlaidDocument {
	provider?: { models?: Overlay['models'] | undefined } | undefined;
	overlays?: Overlay[] | undefined;
	appliedOverlays?: string[] | undefined;
}

/** The overlays that apply to a member in `groups` (names, any case), in the admin's order. */
export function overlaysFor(overlays: readonly Overlay[] | undefined, groups: Iterable<string>): Overlay[] {
	const member = new Set([...groups].map((name) => name.toLowerCase()));
	return (overlays ?? []).filter((overlay) => member.has(overlay.group.toLowerCase()));
}

/**
 * The document a member in `groups` receives: the organization's, with each applicable overlay
 * applied in order, without any overlay's definition, naming the overlays applied.
 */
export function effectiveDocument<T extends OverlaidDocument>(document: T, groups: Iterable<string>): T {
	const { overlays, appliedOverlays: _applied, ...base } = document;
	const applied = overlaysFor(overlays, groups);
	let provider = base.provider;
	for (const overlay of applied) {
		provider = provider && { ...provider, models: overlay.models };
	}
	return {
		...base,
		...(provider ? { provider } : {}),
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
