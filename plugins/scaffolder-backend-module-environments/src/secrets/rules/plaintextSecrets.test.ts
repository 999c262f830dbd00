import {
  entropyThreshold,
  looksRandom,
  plaintextSecrets,
  shannonEntropy,
} from './plaintextSecrets';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
} from '../../__testUtils__/secretsLayout';
import { inputFromFiles } from '../validationInput';

// Fake secrets assembled at run time, so this file does not itself look like a leak to scanners.
const AWS_KEY_ID = ['AKIA', 'Z7QW3KXNP5LMR2TV'].join('');
const AWS_STS_KEY_ID = ['ASIA', 'Q4TRV8NLK2PMZ6XW'].join('');
const AWS_SECRET = [
  'Xq9vLm2T',
  'bR7nKp4W',
  'zY8cHs3D',
  'fG6jAe1U',
  'oP5iNt0M',
].join('');
const OPS_TOKEN = [
  'ops_',
  'eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSIsInVzZXJBdXRoIjp7Im1ldGhvZCI6IlNSUGctNDA5NiJ9fQ',
].join('');
const CF_TOKEN = [
  'Yh3kR9pL',
  'x2Vn7QwT',
  '5mBz_8cJ',
  'd4Fs-6gH',
  'a1Ke0uWy',
].join('');
const RANDOM = ['p8Zt2Kq', 'W9xLm4Rv', 'N7cYb3Hs'].join('');
const PEM = ['-----BEGIN ', 'OPENSSH PRIVATE KEY', '-----'].join('');

async function scan(files: Record<string, string>) {
  return plaintextSecrets(inputFromFiles(files, CANONICAL_LAYOUT));
}

describe('entropy', () => {
  it('measures bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBe(1);
    expect(shannonEntropy('0123456789abcdef')).toBe(4);
  });

  it('follows log2(length) and caps the bar at 4.2 bits', () => {
    expect(entropyThreshold(20)).toBeCloseTo(Math.log2(20) - 0.6);
    expect(entropyThreshold(64)).toBe(4.2);
  });

  it('tells random tokens from identifiers, words and paths', () => {
    expect(looksRandom(RANDOM)).toBe(true);
    expect(looksRandom(CF_TOKEN)).toBe(true);
    expect(looksRandom('0123456789abcdef0123456789abcdef')).toBe(false); // a Cloudflare account ID
    expect(looksRandom('key/1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(false); // part of a KMS key ARN
    expect(looksRandom('unifi-cloudflare-glue/production/homelab-dns')).toBe(
      false,
    );
    expect(looksRandom('repo=homelab-dns-staging2')).toBe(false);
    expect(looksRandom('short1A')).toBe(false);
  });
});

describe('plaintextSecrets', () => {
  it('accepts the rendered production kit, including its account ID, KMS ARN and references', async () => {
    expect(await scan(await renderProductionFiles())).toEqual([]);
  });

  it.each([
    ['an AWS access key ID', `aws_access_key_id = ${AWS_KEY_ID}`, AWS_KEY_ID],
    [
      'an AWS access key ID',
      `export AWS_ACCESS_KEY_ID=${AWS_STS_KEY_ID}`,
      AWS_STS_KEY_ID,
    ],
    ['an AWS secret access key', `secret_key: "${AWS_SECRET}"`, AWS_SECRET],
    [
      'an AWS secret access key',
      `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
      AWS_SECRET,
    ],
    [
      'a 1Password service-account token',
      `OP_SERVICE_ACCOUNT_TOKEN=${OPS_TOKEN}`,
      OPS_TOKEN,
    ],
    [
      'a Cloudflare-API-token-like string',
      `--cloudflare-token=${CF_TOKEN}`,
      CF_TOKEN,
    ],
    ['a high-entropy string', `# note: ${RANDOM}`, RANDOM],
  ])(
    'finds %s and shows only its first 4 characters (%s)',
    async (what, line, secret) => {
      const [v, ...rest] = await scan({ 'notes.txt': `first line\n${line}\n` });
      expect(rest).toEqual([]);
      expect(v).toEqual({
        file: 'notes.txt',
        line: 2,
        rule: 'plaintextSecrets',
        message: `${what} (${secret.slice(0, 4)}…) is in plain text`,
        fix: expect.stringContaining('rotate it'),
      });
      expect(v.message).not.toContain(secret.slice(0, 5));
    },
  );

  it('finds a PEM private key block without printing any of it', async () => {
    const [v] = await scan({
      'deploy-key': `${PEM}\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n`,
    });
    expect(v).toMatchObject({
      file: 'deploy-key',
      line: 1,
      message: 'a PEM private key block is in plain text',
    });
  });

  it('never flags 1Password references, even long ones', async () => {
    const files = {
      'x.yaml': `a: "ref+op://Infrastructure/${RANDOM}/${CF_TOKEN}"\nb: ref+onepasswordconnect://V/${RANDOM}#/${CF_TOKEN}\n`,
    };
    expect(await scan(files)).toEqual([]);
  });

  it('reports every secret-named variable with a value in .env.example, and nothing else there', async () => {
    const found = await scan({
      '.env.example': [
        '# CF_TOKEN=commented-out-value',
        'CF_TOKEN=abc123',
        'UNIFI_API_KEY=""',
        'export UNIFI_PASSWORD="hunter2" # example',
        "AWS_SECRET_ACCESS_KEY='x'",
        'OP_ACCOUNT=my-team.1password.com',
        'UNIFI_HOST=unifi.internal.lan',
        'PRIVATE_KEY_PATH=',
      ].join('\n'),
    });
    expect(found.map(v => `${v.line} ${v.message}`)).toEqual([
      '2 CF_TOKEN has a value (ab…) in .env.example, which is committed',
      '4 UNIFI_PASSWORD has a value (hu…) in .env.example, which is committed',
      '5 AWS_SECRET_ACCESS_KEY has a value (…) in .env.example, which is committed',
    ]);
  });

  it('reports several secrets on one line once each, in order', async () => {
    const found = await scan({ 'a.sh': `K=${AWS_KEY_ID} T=${OPS_TOKEN}` });
    expect(found.map(v => v.message)).toEqual([
      `an AWS access key ID (${AWS_KEY_ID.slice(0, 4)}…) is in plain text`,
      `a 1Password service-account token (ops_…) is in plain text`,
    ]);
  });
});
