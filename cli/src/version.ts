import cliPackage from '../package.json' with { type: 'json' };

/** synack's version, as runners report it in their heartbeats. */
export const SYNACK_VERSION: string = cliPackage.version;
