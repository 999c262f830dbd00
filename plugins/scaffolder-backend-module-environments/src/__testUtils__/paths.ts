import path from 'node:path';

/** The module's package directory (package.json, kits/, templates are two levels up). */
export const PACKAGE_DIR = path.resolve(__dirname, '../..');
/** The module's source directory. */
export const SRC_DIR = path.join(PACKAGE_DIR, 'src');
/** The kits the module ships. */
export const KITS_DIR = path.join(PACKAGE_DIR, 'kits');
/** The repository root, where templates/ and catalog-info.yaml live. */
export const REPO_ROOT = path.resolve(PACKAGE_DIR, '../..');
/** The software templates. */
export const TEMPLATES_DIR = path.join(REPO_ROOT, 'templates');
