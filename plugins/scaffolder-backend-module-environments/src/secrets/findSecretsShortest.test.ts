import { findSecrets } from './secretShapes';

/**
 * findSecrets skips lines that cannot hold any detector's match (no PEM header, no run of 15
 * token characters). These are the shortest matches of each kind, so the skip must let them through.
 */
describe('findSecrets on the shortest secrets of each kind', () => {
  it.each([
    ['a Slack token', 'x: xoxb-1234567890'],
    ['a PEM private key block', '-----BEGIN PRIVATE KEY-----'],
    ['an AWS access key ID', 'AKIAIOSFODNN7EXAMPLE'],
    ['a high-entropy string', 'k9Xq2Lm7Rt4Vw8Zp3Nb6'],
  ])('finds %s', (what, line) => {
    expect(findSecrets(line).map(f => f.what)).toContain(what);
  });

  it('finds nothing in a line too short for any detector', () => {
    expect(findSecrets('xoxb-123456789')).toEqual([]);
  });
});
