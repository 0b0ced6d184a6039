/**
 * A custom header value the admin's policy carries and the console masks (a gateway's key): the
 * launcher looks for it in every file VS Code keeps, so it is shared by the suite and the launcher.
 */
export const GATEWAY_KEY = 'gw-key-3f9c1e7a-only-in-the-policy';
