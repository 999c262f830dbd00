import path from 'node:path';
import { KitRenderer } from '../kits/engine';

/** The kits of this package, loaded once per test file. */
let loaded: Promise<KitRenderer> | undefined;
export function loadTestKits(): Promise<KitRenderer> {
  loaded ??= KitRenderer.load(path.resolve(__dirname, '../../kits'));
  return loaded;
}
