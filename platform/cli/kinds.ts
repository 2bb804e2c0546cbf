import type { Config } from '../config';
import { discoverPlugins } from '../plugins/host';
import { registerKindsFor } from '../server';

/** Registers every metadata kind (core, numbering, plugins') without opening a database. */
export function registerCoreKindsOnce(config: Config): void {
  registerKindsFor(discoverPlugins(config.pluginsDir));
}
