/**
 * A problem with a repository or a request that its owner can fix: a missing or unreadable
 * answers file, a kit version nobody archived, answers the target kit refuses. The CLI prints
 * the message and exits 2; the action turns it into an InputError.
 */
export class UpgradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeError';
  }
}
