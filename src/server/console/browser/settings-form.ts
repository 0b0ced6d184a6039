import { usageChoice } from './usage-settings';
import { organizationTokenChoice, reflectOrganizationToken } from './organization-token';
import { $, $$, inputValue, isChecked, removeKeepingFocus, send, showLocalTimes, showStatus } from './dom';
import { planEndpoint, previewRequestUrl, type EndpointPlan } from '../../../policy/endpoint';
import { isPlainHttpBeyondLoopback } from '../../../policy/url-rules';
import { noteExtensionsTooOld } from './extensions-too-old';
import { collectModelSettings, reflectSummaryChoices, settleKeptSettings, syncModelRows, wireKeptSettings } from './model-settings';
import { clearErrors, showFieldErrors, type FieldError } from './field-errors';

/** The admin API's answer: the signed revision (read for its stamp only), or an error. */
interface SaveAnswer {
	policy?: { revision: number; updatedBy: string; updatedAt: string };
	revision: number;
	updatedBy: string;
	updatedAt: string;
	fieldErrors?: FieldError[];
	message?: string;
}

const SAVED_PLACEHOLDER = '•••••• saved — type to replace';

const allowedModels = () =>
	inputValue('#allowed-models')
		.split(/[\s,]+/)
		.map((model) => model.trim())
		.filter(Boolean);

function modelSettings(): { settings?: Record<string, Record<string, unknown>> } {
	const settings = collectModelSettings();
	return Object.keys(settings).length ? { settings } : {};
}

/** The settings form as the service takes it: header values left empty keep their saved value. */
function collect(headersBox: HTMLElement) {
	const headers: Record<string, string> = {};
	const keepHeaderValues: string[] = [];
	const readableHeaders: string[] = [];
	for (const row of $$('.header-row', headersBox)) {
		const name = inputValue('.header-name', row).trim();
		const value = $<HTMLTextAreaElement>('.header-value', row).value;
		if (!name && !value) {
			continue;
		}
		headers[name] = value;
		if (!$<HTMLInputElement>('.header-secret', row).checked) {
			readableHeaders.push(name);
		}
		if (row.dataset.saved === 'true' && value === '') {
			keepHeaderValues.push(name);
		}
	}
	const azureOn = isChecked('#azure');
	const models = allowedModels();
	const defaultModel = inputValue('#default-model').trim();
	const baseUrl = inputValue('#base-url').trim();
	const optional = (key: string, value: string) => (value ? { [key]: value } : {});
	const provider = {
		id: inputValue('#api-provider'),
		baseUrl,
		headers,
		apiKeyRequired: isChecked('#api-key-required'),
		...organizationTokenChoice(),
		...(readableHeaders.length ? { readableHeaders } : {}),
		...(isChecked('#allow-plain-http') && isPlainHttpBeyondLoopback(baseUrl) ? { allowPlainHttp: true } : {}),
		...(azureOn
			? {
					azure: {
						identityAuth: isChecked('#identity-auth'),
						...optional('apiVersion', inputValue('#api-version').trim()),
						// Tenant and scope belong to Entra ID: shown, and sent, only with it on.
						...(isChecked('#identity-auth') ? optional('tenantId', inputValue('#tenant-id').trim()) : {}),
						...(isChecked('#identity-auth') ? optional('scope', inputValue('#scope').trim()) : {}),
					},
				}
			: {}),
		...(models.length || defaultModel
			? {
					models: {
						allowed: models,
						...optional('default', defaultModel),
						...optional('utilityModel', inputValue('#utility-model').trim()),
						...optional('utilitySmallModel', inputValue('#utility-small-model').trim()),
						...modelSettings(),
					},
				}
			: {}),
	};
	const enabled = isChecked('#enabled');
	const providerTouched = Boolean(baseUrl || Object.keys(headers).length || azureOn || models.length);
	const settings = {
		enabled,
		...optional('adminContact', inputValue('#admin-contact').trim()),
		...(enabled || providerTouched ? { provider } : {}),
		...usageChoice(),
	};
	return { settings, keepHeaderValues };
}

/**
 * With Entra ID, members send their Microsoft token, never a key: the member-key box is off and
 * cannot be ticked, and the tenant and scope appear.
 */
function reflectEntra(): void {
	const entra = isChecked('#azure') && isChecked('#identity-auth');
	$('#entra-fields').hidden = !entra;
	const memberKey = $<HTMLInputElement>('#api-key-required');
	if (entra) {
		memberKey.checked = false;
		memberKey.disabled = true;
	} else if (!isChecked('#organization-token')) {
		memberKey.disabled = false;
	}
}

/** The settings page: dirty tracking, header rows, save with If-Match, inline field errors. */
export function wireSettingsForm(form: HTMLFormElement): void {
	const state = JSON.parse($('#console-state').textContent ?? '{}') as { revision: number };
	const save = $<HTMLButtonElement>('#save');
	const headersBox = $('#headers');
	// The server renders the row once, as a template, so its markup lives in one place.
	const rowTemplate = $<HTMLTemplateElement>('#header-row-template');

	const snapshot = () => JSON.stringify(collect(headersBox));
	reflectEntra();
	let saved = snapshot();
	// Members hold a newer revision than any here (a restored backup): saving the settings as they are moves them on.
	const heldAhead = () => document.querySelector('#held-ahead') !== null;
	const refreshDirty = () => {
		save.disabled = snapshot() === saved && !heldAhead();
	};

	form.addEventListener('input', (event) => {
		if ((event.target as Element).id === 'allowed-models') {
			syncModelRows(allowedModels());
		}
		describeAsEdited();
		refreshDirty();
	});
	form.addEventListener('change', () => {
		$('#azure-panel').hidden = !isChecked('#azure');
		reflectSummaryChoices();
		reflectOrganizationToken();
		reflectEntra();
		describeAsEdited();
		refreshDirty();
	});
	describeAsEdited();
	$('#add-header').addEventListener('click', () => {
		const row = (rowTemplate.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
		headersBox.append(row);
		$('.header-name', row).focus();
		refreshDirty();
	});
	headersBox.addEventListener('click', (event) => {
		const row = (event.target as Element).closest('.remove-header')?.closest('.header-row');
		if (row) {
			removeKeepingFocus(row, $('#add-header'));
			refreshDirty();
		}
	});
	wireKeptSettings($('#model-settings'), refreshDirty);

	form.addEventListener('submit', async (event) => {
		event.preventDefault();
		clearErrors();
		save.disabled = true;
		showStatus('Saving…');
		try {
			// The one save path: the admin API, which puts back the header values kept unchanged.
			const { settings, keepHeaderValues } = collect(headersBox);
			// Group overlays are not edited on this page: the service keeps them as saved.
			const query = new URLSearchParams([
				['keepOverlays', 'true'],
				...keepHeaderValues.map((name): [string, string] => ['keepHeaderValues', name]),
			]);
			// A canary first, when the admin chose one (the Revisions page then promotes or rolls back).
			const rollout = $<HTMLSelectElement>('#rollout').value;
			if (rollout) {
				query.set('rollout', rollout);
			}
			const { response, data } = await send<SaveAnswer>('PUT', `/api/v1/admin/policy${query.size ? `?${query}` : ''}`, settings, {
				'if-match': `"${state.revision}"`,
			});
			if (response.ok && data.policy) {
				const revision = data.policy;
				// The revision everyone else keeps during a rollout (numbers may skip after a restored backup).
				const before = state.revision;
				state.revision = revision.revision;
				$('#revision').textContent = String(revision.revision);
				$('#updated-by').textContent = revision.updatedBy;
				const updatedAt = $<HTMLTimeElement>('#updated-at');
				updatedAt.dateTime = revision.updatedAt;
				showLocalTimes(updatedAt.parentElement ?? document);
				for (const row of $$('.header-row', headersBox)) {
					// A secret value leaves the page once saved; a readable one stays as typed.
					if ($<HTMLInputElement>('.header-secret', row).checked) {
						row.dataset.saved = 'true';
						const value = $<HTMLTextAreaElement>('.header-value', row);
						value.value = '';
						value.placeholder = SAVED_PLACEHOLDER;
					} else {
						row.dataset.saved = 'false';
					}
				}
				settleKeptSettings();
				saved = snapshot();
				document.querySelector('#held-ahead')?.remove();
				showStatus(
					rollout
						? `Saved revision ${revision.revision} for its canary (${$<HTMLSelectElement>('#rollout').selectedOptions[0]?.textContent?.replace(/^a canary: /, '') ?? rollout}); everyone else keeps revision ${before} until you promote it on Revisions.`
						: `Saved revision ${revision.revision}. Members receive it now.`,
					'success',
				);
				$<HTMLSelectElement>('#rollout').value = '';
				await noteExtensionsTooOld();
			} else if (response.status === 400 && data.fieldErrors) {
				showFieldErrors(data.fieldErrors, headersBox);
			} else if (response.status === 412) {
				showStatus(
					`Changed by ${data.updatedBy} at ${data.updatedAt} (revision ${data.revision}) — reload to see their change, then apply yours again.`,
					'error',
				);
			} else {
				showStatus(data.message ?? `Save failed (${response.status}).`, 'error');
			}
		} catch (error) {
			showStatus(`Save failed: ${(error as Error).message}`, 'error');
		} finally {
			refreshDirty();
		}
	});
	refreshDirty();
}

/** The endpoint as members' clients will work it out from the form, when the base URL parses. */
function plannedEndpoint(): EndpointPlan | undefined {
	const baseUrl = inputValue('#base-url').trim();
	if (!baseUrl) {
		return undefined;
	}
	try {
		const azure = isChecked('#azure')
			? { apiVersion: inputValue('#api-version').trim() || undefined, identityAuth: isChecked('#identity-auth'), scope: '' }
			: undefined;
		return planEndpoint({ baseUrl, azure });
	} catch {
		return undefined;
	}
}

/**
 * What the page says while the admin edits, before any save: the provider members will have, the
 * URL they will call for the default (or first) model, and "deployment names" where Azure wants them.
 */
function describeAsEdited(): void {
	const plan = plannedEndpoint();
	const models = allowedModels();
	const deployments = plan?.style === 'azure-deployments' && !plan.deployment;
	const shown = inputValue('#default-model').trim() || models[0];
	const api = $$('.model-row')
		.find((row) => row.dataset.model === shown)
		?.querySelector<HTMLSelectElement>('.model-api')?.value;
	$('#request-url').textContent = plan ? previewRequestUrl(plan, shown, api === 'responses' ? 'responses' : undefined) : '—';
	$('#enabled-provider').textContent = isChecked('#enabled') ? 'OpenAI Compatible' : 'None (members choose their own provider)';
	// The plain-HTTP choice is offered only where it applies: an http:// endpoint beyond this machine.
	const plainHttp = isPlainHttpBeyondLoopback(inputValue('#base-url').trim());
	$('#plain-http-choice').hidden = !plainHttp;
	if (!plainHttp) {
		// A hidden choice cannot stay made: going back to an http:// endpoint asks for it again.
		$<HTMLInputElement>('#allow-plain-http').checked = false;
	}
	$('label[for="allowed-models"]').textContent = deployments ? 'Deployment names' : 'Allowed models';
	$('label[for="default-model"]').textContent = deployments ? 'Default deployment' : 'Default model';
	$<HTMLInputElement>('#allowed-models').placeholder = deployments
		? 'gpt-4o-prod, gpt-4o-mini-prod (required: the names of your Azure deployments)'
		: 'gpt-4o, gpt-4o-mini (empty: any model the endpoint lists)';
}
