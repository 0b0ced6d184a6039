// Single sign-on's browser binding: the page that leaves for the identity provider keeps a one-time
// secret in this origin's session storage, and the page the provider sends back to posts it with the
// provider's answer. No other origin — another port of this host included — can write this storage,
// so a sign-in started elsewhere cannot be finished in this browser.
const KEY = 'opp-sso-binding';

export function wireSsoBinding(): void {
	const leaving = document.querySelector<HTMLElement>('#sso-leaving');
	if (leaving?.dataset.target) {
		sessionStorage.setItem(KEY, leaving.dataset.binding ?? '');
		location.assign(leaving.dataset.target);
		return;
	}
	const finish = document.querySelector<HTMLFormElement>('#sso-finish');
	const field = finish?.querySelector<HTMLInputElement>('#sso-binding');
	if (finish && field) {
		field.value = sessionStorage.getItem(KEY) ?? '';
		sessionStorage.removeItem(KEY);
		finish.submit();
	}
}
