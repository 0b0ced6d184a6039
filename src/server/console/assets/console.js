// Admin console behaviour: the settings form (dirty tracking, save with If-Match, inline field
// errors, masked header values) and the members page. Served as a static file under a strict CSP.
'use strict';

(() => {
	const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
	const $ = (selector, root = document) => root.querySelector(selector);
	const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

	function showStatus(message, kind) {
		const status = $('#status');
		if (status) {
			status.textContent = message;
			status.className = `status ${kind ?? ''}`;
		}
	}

	async function send(method, url, body, headers = {}) {
		const response = await fetch(url, {
			method,
			headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, ...headers },
			body: JSON.stringify(body),
			credentials: 'same-origin',
		});
		const text = await response.text();
		return { response, data: text ? JSON.parse(text) : {} };
	}

	// ── settings ───────────────────────────────────────────────────────────────
	const form = $('#settings-form');
	if (form) {
		const state = JSON.parse($('#console-state').textContent);
		const save = $('#save');
		const headersBox = $('#headers');

		const snapshot = () => JSON.stringify(collect());
		let saved = snapshot();
		const refreshDirty = () => {
			save.disabled = snapshot() === saved;
		};

		function newHeaderRow() {
			const row = document.createElement('div');
			row.className = 'header-row';
			row.dataset.saved = 'false';
			row.innerHTML =
				'<input class="header-name" aria-label="Header name" placeholder="X-Header-Name" spellcheck="false">' +
				// A textarea keeps a pasted value exactly (an input would silently drop line breaks), so the
				// service can name what is wrong with it.
				'<textarea class="header-value" aria-label="Header value" rows="1" placeholder="value" autocomplete="off" spellcheck="false"></textarea>' +
				'<button type="button" class="remove-header icon" title="Remove header" aria-label="Remove header">✕</button>' +
				'<div class="field-error" role="alert"></div>';
			return row;
		}

		function collect() {
			const headers = {};
			const keep = [];
			for (const row of $$('.header-row', headersBox)) {
				const name = $('.header-name', row).value.trim();
				const value = $('.header-value', row).value;
				if (!name && !value) {
					continue;
				}
				headers[name] = value;
				if (row.dataset.saved === 'true' && value === '') {
					keep.push(name);
				}
			}
			const azureOn = $('#azure').checked;
			const models = $('#allowed-models')
				.value.split(/[\s,]+/)
				.map((model) => model.trim())
				.filter(Boolean);
			const defaultModel = $('#default-model').value.trim();
			const baseUrl = $('#base-url').value.trim();
			const provider = {
				id: $('#api-provider').value,
				baseUrl,
				headers,
				apiKeyRequired: $('#api-key-required').checked,
			};
			if (azureOn) {
				const azure = { identityAuth: $('#identity-auth').checked };
				const apiVersion = $('#api-version').value.trim();
				const tenantId = $('#tenant-id').value.trim();
				const scope = $('#scope').value.trim();
				if (apiVersion) {azure.apiVersion = apiVersion;}
				if (tenantId) {azure.tenantId = tenantId;}
				if (scope) {azure.scope = scope;}
				provider.azure = azure;
			}
			if (models.length || defaultModel) {
				provider.models = { allowed: models };
				if (defaultModel) {provider.models.default = defaultModel;}
			}
			const settings = { enabled: $('#enabled').checked };
			const adminContact = $('#admin-contact').value.trim();
			if (adminContact) {settings.adminContact = adminContact;}
			const providerTouched = baseUrl || Object.keys(headers).length || azureOn || models.length;
			if (settings.enabled || providerTouched) {settings.provider = provider;}
			return { settings, keepHeaderValues: keep };
		}

		function clearErrors() {
			for (const slot of $$('.field-error')) {
				slot.textContent = '';
			}
			for (const input of $$('[aria-invalid]')) {
				input.removeAttribute('aria-invalid');
			}
		}

		function showFieldErrors(errors) {
			const unplaced = [];
			for (const error of errors) {
				let slot = $$('.field-error').find((candidate) => candidate.dataset.errorFor === error.path);
				if (!slot && error.path.startsWith('provider.headers.')) {
					const name = error.path.slice('provider.headers.'.length);
					const row = $$('.header-row', headersBox).find((candidate) => $('.header-name', candidate).value.trim() === name);
					slot = row && $('.field-error', row);
					if (row) {
						$('.header-value', row).setAttribute('aria-invalid', 'true');
					}
				}
				if (!slot && error.path.startsWith('provider.models.allowed')) {
					slot = $$('.field-error').find((candidate) => candidate.dataset.errorFor === 'provider.models.allowed');
				}
				if (slot) {
					slot.textContent = error.message;
					slot.previousElementSibling?.setAttribute?.('aria-invalid', 'true');
				} else {
					unplaced.push(`${error.path}: ${error.message}`);
				}
			}
			showStatus(`Not saved: ${errors.length} field${errors.length === 1 ? '' : 's'} need${errors.length === 1 ? 's' : ''} fixing. ${unplaced.join('; ')}`, 'error');
		}

		form.addEventListener('input', refreshDirty);
		form.addEventListener('change', () => {
			$('#azure-panel').hidden = !$('#azure').checked;
			refreshDirty();
		});
		$('#add-header').addEventListener('click', () => {
			const row = newHeaderRow();
			headersBox.append(row);
			$('.header-name', row).focus();
			refreshDirty();
		});
		headersBox.addEventListener('click', (event) => {
			const button = event.target.closest('.remove-header');
			if (button) {
				button.closest('.header-row').remove();
				refreshDirty();
			}
		});

		form.addEventListener('submit', async (event) => {
			event.preventDefault();
			clearErrors();
			save.disabled = true;
			showStatus('Saving…');
			const body = collect();
			try {
				const { response, data } = await send('PUT', '/console/api/policy', body, { 'if-match': `"${state.revision}"` });
				if (response.ok) {
					state.revision = data.revision;
					$('#revision').textContent = String(data.revision);
					$('#updated-by').textContent = data.updatedBy;
					$('#updated-at').textContent = data.updatedAt;
					for (const row of $$('.header-row', headersBox)) {
						row.dataset.saved = 'true';
						const value = $('.header-value', row);
						value.value = '';
						value.placeholder = '•••••• saved — type to replace';
					}
					$('#enabled-provider').textContent = data.settings.enabled && data.settings.provider ? 'OpenAI Compatible' : 'None (members choose their own provider)';
					saved = snapshot();
					showStatus(`Saved revision ${data.revision}. Members receive it now.`, 'success');
				} else if (response.status === 400 && data.fieldErrors) {
					showFieldErrors(data.fieldErrors);
				} else if (response.status === 412) {
					showStatus(`Changed by ${data.updatedBy} at ${data.updatedAt} (revision ${data.revision}) — reload to see their change, then apply yours again.`, 'error');
				} else {
					showStatus(data.message ?? `Save failed (${response.status}).`, 'error');
				}
			} catch (error) {
				showStatus(`Save failed: ${error.message}`, 'error');
			} finally {
				refreshDirty();
			}
		});
		refreshDirty();
	}

	// ── members ────────────────────────────────────────────────────────────────
	const addMember = $('#add-member');
	if (addMember) {
		addMember.addEventListener('submit', async (event) => {
			event.preventDefault();
			const { response, data } = await send('POST', '/api/v1/admin/members', { email: $('#member-email').value, role: $('#member-role').value });
			if (response.ok) {
				$('#invite-link').textContent = `Send this one-time link to ${data.invitation.email} (valid until ${data.invitation.expiresAt}): ${data.invitation.link}`;
			} else {
				showStatus(data.message ?? `Invite failed (${response.status}).`, 'error');
			}
		});
		for (const button of $$('.remove-member')) {
			button.addEventListener('click', async () => {
				if (!window.confirm(`Remove ${button.dataset.email}? Their VS Code is signed out at once.`)) {
					return;
				}
				const response = await fetch(`/api/v1/admin/members/${encodeURIComponent(button.dataset.id)}`, {
					method: 'DELETE',
					headers: { 'x-csrf-token': csrf },
					credentials: 'same-origin',
				});
				if (response.ok) {
					button.closest('tr').remove();
					showStatus(`Removed ${button.dataset.email}.`, 'success');
				} else {
					showStatus(`Remove failed (${response.status}).`, 'error');
				}
			});
		}
	}
})();
