import { KitRenderer } from '../kits/engine';
import { KITS_DIR } from './paths';

/** The kits of this package, loaded once per test file. */
let loaded: Promise<KitRenderer> | undefined;
export function loadTestKits(): Promise<KitRenderer> {
  loaded ??= KitRenderer.load(KITS_DIR);
  return loaded;
}
