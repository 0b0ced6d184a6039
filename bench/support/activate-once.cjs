'use strict';
// Loads an extension bundle in a fresh process with the `vscode` module stubbed, activates it
// with the given secrets and global state, and prints timings as JSON.
const Module = require('node:module');
const { performance } = require('node:perf_hooks');
const fs = require('node:fs');

const [bundle, fixtureFile] = process.argv.slice(2);
const fixture = fixtureFile ? JSON.parse(fs.readFileSync(fixtureFile, 'utf8')) : { secrets: {}, globalState: {} };

const disposable = () => ({ dispose() {} });
class EventEmitter {
	constructor() {
		this.listeners = new Set();
		this.event = (listener) => {
			this.listeners.add(listener);
			return { dispose: () => this.listeners.delete(listener) };
		};
	}
	fire(value) {
		for (const listener of this.listeners) {
			listener(value);
		}
	}
	dispose() {
		this.listeners.clear();
	}
}
const uri = (path) => ({ scheme: 'file', path, fsPath: path, toString: () => `file://${path}` });
const vscode = {
	version: '1.104.0',
	EventEmitter,
	Uri: { parse: (value) => uri(value), file: (path) => uri(path), joinPath: (base, ...parts) => uri([base.path, ...parts].join('/')) },
	StatusBarAlignment: { Left: 1, Right: 2 },
	ThemeColor: class {
		constructor(id) {
			this.id = id;
		}
	},
	ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
	ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
	RelativePattern: class {
		constructor(base, pattern) {
			this.baseUri = base;
			this.pattern = pattern;
		}
	},
	MarkdownString: class {
		constructor(value = '') {
			this.value = value;
		}
		appendMarkdown(text) {
			this.value += text;
			return this;
		}
		appendText(text) {
			// As VS Code's: Markdown's syntax characters escaped.
			this.value += text.replace(/[\\`*_{}[\]()#+\-!~]/g, '\\$&');
			return this;
		}
	},
	window: {
		createOutputChannel: () => ({ info() {}, warn() {}, error() {}, debug() {}, trace() {}, appendLine() {}, show() {}, dispose() {} }),
		createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
		registerWebviewViewProvider: disposable,
		registerUriHandler: disposable,
		showInformationMessage: async () => undefined,
		showWarningMessage: async () => undefined,
		showErrorMessage: async () => undefined,
		withProgress: async (_options, task) => task({ report() {} }, { onCancellationRequested: disposable }),
	},
	workspace: {
		getConfiguration: () => ({ get: (_key, fallback) => fallback, update: async () => undefined }),
		onDidChangeConfiguration: disposable,
		createFileSystemWatcher: () => ({ onDidCreate: disposable, onDidChange: disposable, onDidDelete: disposable, dispose() {} }),
		registerTextDocumentContentProvider: disposable,
	},
	commands: { registerCommand: disposable, executeCommand: async () => undefined },
	authentication: { registerAuthenticationProvider: disposable, getSession: async () => undefined },
	lm: { registerLanguageModelChatProvider: disposable, onDidChangeChatModels: disposable, selectChatModels: async () => [] },
	extensions: { getExtension: () => undefined },
	LanguageModelChatToolMode: { Auto: 1, Required: 2 },
	env: { clipboard: { writeText: async () => undefined }, openExternal: async () => true },
};
const load = Module._load;
// How long the rest of the extension takes to load, after activation (reported apart).
let mainLoadMs = 0;
Module._load = function (request, ...rest) {
	if (request === 'vscode') {
		return vscode;
	}
	if (!request.endsWith('extension-main.js')) {
		return load.call(this, request, ...rest);
	}
	const started = performance.now();
	const main = load.call(this, request, ...rest);
	mainLoadMs = performance.now() - started;
	return main;
};

const secrets = new Map(Object.entries(fixture.secrets));
const state = new Map(Object.entries(fixture.globalState));
const workspaceState = new Map();
const context = {
	subscriptions: [],
	extensionUri: uri('/ext'),
	// What VS Code passes: the extension's own manifest (its version goes into the User-Agent).
	extension: { packageJSON: { version: '0.0.0-bench' } },
	secrets: {
		get: async (key) => secrets.get(key),
		store: async (key, value) => void secrets.set(key, value),
		delete: async (key) => void secrets.delete(key),
		onDidChange: disposable,
	},
	globalState: { get: (key) => state.get(key), update: async (key, value) => void state.set(key, value), keys: () => [...state.keys()] },
	// The folder's own state (the chat view's conversation): empty, as in a folder opened for the first time.
	workspaceState: {
		get: (key) => workspaceState.get(key),
		update: async (key, value) => void workspaceState.set(key, value),
		keys: () => [...workspaceState.keys()],
	},
};

const start = performance.now();
const extension = require(bundle);
const loaded = performance.now();
void (async () => {
	const api = await extension.activate(context);
	const activated = performance.now();
	// As activation leaves it, before the rest of the extension has loaded.
	const ours = api && typeof api.syncState === 'function';
	const statusAtActivation = ours ? api.syncState().status : null;
	const revisionAtActivation = ours && api.policy() ? api.policy().revision : null;
	const headersAtActivation = ours && api.policy() ? api.policy().provider?.headers : null;
	const loadedAtActivation = Object.keys(require.cache).map((file) => file.split('/').pop());
	const azureLoaded = Object.keys(require.cache).some((file) => file.includes('@azure') || file.endsWith('entra.js'));
	const lazyLoaded = Object.keys(require.cache)
		.filter((file) => /(http|chat-client|entra)\.js$/.test(file))
		.map((file) => file.split('/').pop());
	// Let the asynchronous start (session reload, cached policy) run before reporting.
	setTimeout(() => {
		const policy = api && typeof api.policy === 'function' ? api.policy() : undefined;
		process.stdout.write(
			JSON.stringify({
				loadMs: loaded - start,
				activateMs: activated - loaded,
				azureLoaded,
				lazyLoaded,
				cachedRevision: policy ? policy.revision : null,
				mainLoadMs,
				statusAtActivation,
				loadedAtActivation,
				revisionAtActivation,
				status: ours ? api.syncState().status : null,
				locked: ours ? api.effectiveSettings().locked : null,
				// What other extensions see of the policy's custom headers, before and after the rest loads.
				headersAtActivation,
				headers: policy?.provider?.headers ?? null,
				effectiveHeaders: ours ? (api.effectiveSettings().provider?.headers ?? null) : null,
				syncStateHeaders: ours ? (api.syncState().policy?.document.provider?.headers ?? null) : null,
			}),
		);
		process.exit(0);
	}, 50);
})();
