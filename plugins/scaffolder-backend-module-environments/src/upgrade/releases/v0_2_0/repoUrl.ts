// Archived verbatim from kit release 0.2.0 (git eb9d0e4, src/parameters/repoUrl.ts), unchanged.
// Never edit: repositories made by 0.2.0 are merged against exactly this output.
/**
 * The RepoUrlPicker's value (`host?owner=...&repo=...`, or `organization=` instead of `owner=`)
 * read into its parts, in one place: the kits' links and annotations and the model's secret
 * check both read it through here.
 */
export interface RepositoryParts {
  host: string;
  owner: string;
  repo: string;
}

/** The host, owner and repository of a RepoUrlPicker value, when it names all three. */
export function repositoryParts(
  repoUrl: string | undefined,
): RepositoryParts | undefined {
  if (!repoUrl) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(`https://${repoUrl}`);
  } catch {
    return undefined;
  }
  const owner =
    parsed.searchParams.get('owner') ?? parsed.searchParams.get('organization');
  const repo = parsed.searchParams.get('repo');
  if (!owner || !repo) return undefined;
  return { host: parsed.host, owner, repo };
}

/** `owner/repo`, as GitHub's project-slug annotation writes it, or undefined. */
export function repositorySlug(
  repoUrl: string | undefined,
): string | undefined {
  const parts = repositoryParts(repoUrl);
  return parts && `${parts.owner}/${parts.repo}`;
}
