import { version } from '../../package.json';

/**
 * This release's version as `package.json` states it: the service, the `org-policy` CLI and the
 * extension ship together, so one number names all three (`--version`, the OpenTelemetry resource).
 */
export const RELEASE_VERSION: string = version;
