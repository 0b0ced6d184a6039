export declare const CODE_SERVER_VERSION: string;
/** The installed code-server package folder, or undefined when not installed yet. */
export declare function installedHost(): string | undefined;
/** Installs (once, cached) and returns the code-server package folder. */
export declare function installHost(): string;
