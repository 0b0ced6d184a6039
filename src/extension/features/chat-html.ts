import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The chat view's page: its script and styles from the extension's own files only, under a CSP
 * that allows nothing else (scripts by nonce).
 */
export function chatHtml(webview: vscode.Webview, media: vscode.Uri): string {
	const nonce = randomBytes(16).toString('base64');
	const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview', 'chat.js'));
	const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview', 'chat.css'));
	const codicons = webview.asWebviewUri(vscode.Uri.joinPath(media, 'media', 'codicon.css'));
	const csp = [
		`default-src 'none'`,
		`style-src ${webview.cspSource}`,
		`font-src ${webview.cspSource}`,
		`img-src ${webview.cspSource} data:`,
		`script-src 'nonce-${nonce}'`,
	].join('; ');
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${codicons}">
<link rel="stylesheet" href="${style}">
<title>Chat</title>
</head>
<body>
<header>
<h1 class="visually-hidden">Org Provider Policy chat</h1>
<div class="bar">
<button id="badge" class="badge" title="Select API Provider"><span id="badge-icon" class="codicon" aria-hidden="true"></span><span id="badge-label"></span></button>
<select id="model" aria-label="Model"></select>
</div>
<div id="managed" class="managed" hidden><span class="codicon codicon-lock" aria-hidden="true"></span><span id="managed-label"></span></div>
</header>
<main>
<section id="welcome" class="welcome" aria-labelledby="welcome-title" hidden>
<h2 id="welcome-title">Is your organization using Org Provider Policy?</h2>
<p>Connect to it: your AI provider, models and headers then come from your organization.</p>
<button type="button" id="welcome-sign-in">Sign in to your organization</button>
<button type="button" id="welcome-invitation" class="secondary">I have an invitation link</button>
<p class="hint">Otherwise choose your own provider with the badge above.</p>
</section>
<div id="conversation"></div>
<p id="cleared" class="cleared" hidden>Conversation cleared. <button type="button" id="undo-clear" class="link">Undo</button></p>
<div id="announcer" class="visually-hidden" role="status"></div>
<div id="notice" class="notice" hidden></div>
</main>
<form id="composer" aria-label="Send a message">
<textarea id="input" rows="3" placeholder="Ask anything…" aria-label="Message" aria-describedby="composer-note"></textarea>
<p id="composer-note" class="composer-note" role="status" hidden></p>
<div class="actions">
	<select id="effort" aria-label="Reasoning effort" title="How much the model reasons before it answers" hidden></select>
	<button type="button" id="clear" title="New conversation" aria-label="New conversation" class="icon"><span class="codicon codicon-clear-all" aria-hidden="true"></span></button>
	<button type="button" id="stop" hidden title="Stop"><span class="codicon codicon-debug-stop" aria-hidden="true"></span> Stop</button>
	<button type="submit" id="send"><span class="codicon codicon-send" aria-hidden="true"></span> Send</button>
</div>
</form>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
