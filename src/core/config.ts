import { resolve } from 'node:path';

/** Where Sluice keeps its state. Embedded defaults: `.sluice/` in the working directory. */
export interface SluiceConfig {
  /** The home folder: `.sluice` unless SLUICE_HOME says otherwise. */
  home: string;
  /** Metadata store URL; undefined means SQLite at `<home>/sluice.db`. */
  databaseUrl: string | undefined;
  /** Artifact folder; default `<home>/artifacts`. */
  artifactRoot: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<SluiceConfig> = {}): SluiceConfig {
  const home = resolve(overrides.home ?? (env.SLUICE_HOME || '.sluice'));
  return {
    home,
    databaseUrl: overrides.databaseUrl ?? (env.SLUICE_DATABASE_URL || undefined),
    artifactRoot: resolve(overrides.artifactRoot ?? (env.SLUICE_ARTIFACTS || `${home}/artifacts`)),
  };
}
