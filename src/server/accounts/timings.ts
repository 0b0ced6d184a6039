export interface AccountTimings {
	accessTokenSeconds: number;
	refreshTokenSeconds: number;
	sessionSeconds: number;
	invitationSeconds: number;
	deviceCodeSeconds: number;
	devicePollSeconds: number;
}

export const DEFAULT_TIMINGS: AccountTimings = {
	accessTokenSeconds: 3600,
	refreshTokenSeconds: 30 * 24 * 3600,
	sessionSeconds: 12 * 3600,
	invitationSeconds: 7 * 24 * 3600,
	deviceCodeSeconds: 900,
	devicePollSeconds: 5,
};
