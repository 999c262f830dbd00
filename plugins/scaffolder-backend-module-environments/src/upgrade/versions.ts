/** Kit versions are the package's semantic versions, MAJOR.MINOR.PATCH. */
const VERSION =
  /^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$/;

/** True for a release version MAJOR.MINOR.PATCH (no pre-release or build suffix). */
export function isKitVersion(value: unknown): value is string {
  return typeof value === 'string' && VERSION.test(value);
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  const pa = VERSION.exec(a);
  const pb = VERSION.exec(b);
  if (!pa || !pb) throw new Error(`Not a kit version: ${pa ? b : a}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  return 0;
}
