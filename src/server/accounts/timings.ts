export interface AccountTimings {
	accessTokenSeconds: number;
	refreshTokenSeconds: number;
	/**
	 * How long after its rotation a refresh token may come back without being taken for a stolen
	 * copy: every VS Code window of a member shares one sign-in, and their event streams all end
	 * when its access token does, so they refresh the same token at once; an answer lost on the way
	 * is asked again within moments too. Later, the replay revokes the whole sign-in.
	 */
	refreshReuseGraceSeconds: number;
	sessionSeconds: number;
	invitationSeconds: number;
	/** How long a password reset link works: a day, so one sent in the evening still works in the morning. */
	passwordResetSeconds: number;
	deviceCodeSeconds: number;
	devicePollSeconds: number;
}

export const DEFAULT_TIMINGS: AccountTimings = {
	accessTokenSeconds: 3600,
	refreshTokenSeconds: 30 * 24 * 3600,
	refreshReuseGraceSeconds: 60,
	sessionSeconds: 12 * 3600,
	invitationSeconds: 7 * 24 * 3600,
	passwordResetSeconds: 24 * 3600,
	deviceCodeSeconds: 900,
	devicePollSeconds: 5,
};
