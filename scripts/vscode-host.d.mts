export declare const DEFAULT_CODE_SERVER_VERSION: string;
export declare const CODE_SERVER_VERSION: string;
/** The Node that runs the host (`ORG_POLICY_HOST_NODE_MAJOR` from the npm registry, else this one) and its headers. */
export declare function hostNode(): { bin: string; headers: string | undefined };
/** The installed code-server package folder, or undefined when not installed yet. */
export declare function installedHost(): string | undefined;
/** Installs (once, cached) and returns the code-server package folder. */
export declare function installHost(): string;
