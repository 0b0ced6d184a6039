// The admin console's behaviour, served as one static script under a strict CSP: each page part
// is wired only when the server rendered it.
import { confirmForms, keepFormsThroughSessionEnd, showLocalTimes, wireCopyButtons } from './dom';
import { wireGroups } from './groups';
import { wireMembers } from './members';
import { wireRevisions } from './revisions';
import { wireOverlays } from './overlays';
import { wireSettingsForm } from './settings-form';
import { wireSsoBinding } from './sso-binding';

const settingsForm = document.querySelector<HTMLFormElement>('#settings-form');
if (settingsForm) {
	wireSettingsForm(settingsForm);
}
const addMember = document.querySelector<HTMLFormElement>('#add-member');
if (addMember) {
	wireMembers(addMember);
}
const revisions = document.querySelector<HTMLElement>('#revisions');
if (revisions) {
	wireRevisions(revisions);
}
const overlays = document.querySelector<HTMLElement>('#overlays-card');
if (overlays) {
	wireOverlays(overlays);
}
const groups = document.querySelector<HTMLElement>('#groups');
if (groups) {
	wireGroups(groups);
}
if (document.body.dataset.answersPost !== undefined) {
	// A reload of a form's answer would post the form again (a second API token, say): this turns the
	// history entry into a plain visit of the page, which a reload reads afresh.
	history.replaceState(history.state, '', location.href);
}
wireSsoBinding();
confirmForms();
keepFormsThroughSessionEnd();
wireCopyButtons();
showLocalTimes();
