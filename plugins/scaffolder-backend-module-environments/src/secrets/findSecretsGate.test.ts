import fc from 'fast-check';
import {
  couldHoldASecret,
  DETECTOR_PATTERNS,
  findSecrets,
  linesThatCouldHoldASecret,
} from './secretShapes';

/**
 * findSecrets skips a line that {@link couldHoldASecret} does not match, so the gate must
 * match every line on which any detector's pattern matches (the detectors' accept checks only
 * narrow further). The lines are built from the characters and prefixes the patterns use.
 */
describe('the gate in front of the secret detectors', () => {
  const patterns = DETECTOR_PATTERNS.map(
    p => new RegExp(p.source, p.flags.replace('g', '')),
  );
  const tokenChar = fc.constantFrom(
    ...'aZ09xQ_-+/= .:"\'#@'.split(''),
    'A',
    'K',
    'I',
  );
  const prefix = fc.constantFrom(
    '',
    '-----BEGIN PRIVATE KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----',
    'AKIA',
    'ASIA',
    'ops_',
    'ghp_',
    'github_pat_',
    'glpat-',
    'xoxb-',
    'sk_live_',
    'rk_test_',
    'npm_',
    'aws_secret_access_key=',
    'SECRET_KEY: "',
  );
  const run = fc.string({ unit: tokenChar, minLength: 8, maxLength: 48 });
  const alnumRun = fc.string({
    unit: fc.constantFrom(...'aB3xY7kQ9mZ2'.split('')),
    minLength: 8,
    maxLength: 45,
  });
  const line = fc
    .tuple(
      fc.string({ maxLength: 6 }),
      prefix,
      fc.oneof(run, alnumRun),
      fc.string({ maxLength: 6 }),
    )
    .map(parts => parts.join(''));

  it('matches every line a detector pattern matches', () => {
    fc.assert(
      fc.property(line, text => {
        // Either the gate lets the line through, or no pattern matches it.
        expect({
          gate: couldHoldASecret(text),
          matched: couldHoldASecret(text)
            ? []
            : patterns.filter(p => p.test(text)).map(String),
        }).toEqual({ gate: expect.any(Boolean), matched: [] });
      }),
      { numRuns: 5000, seed: 17 },
    );
  });

  it('finds in a whole text exactly the lines the gate lets through one by one', () => {
    const separator = fc.constantFrom('\n', '\r\n', '\r', '\n\n');
    const text = fc
      .array(
        fc.tuple(fc.oneof(line, fc.string({ maxLength: 30 })), separator),
        {
          maxLength: 12,
        },
      )
      .map(parts => parts.map(([l, sep]) => l + sep).join(''));
    fc.assert(
      fc.property(text, whole => {
        const oneByOne = whole
          .split(/\r?\n/)
          .flatMap((l, i) => (couldHoldASecret(l) ? [i] : []));
        expect(linesThatCouldHoldASecret(whole)).toEqual(oneByOne);
      }),
      { numRuns: 3000, seed: 17 },
    );
    // A prefix on the last line, and runs that a line break cuts.
    expect(linesThatCouldHoldASecret('a\nb\nxoxb')).toEqual([2]);
    expect(
      linesThatCouldHoldASecret(`${'a'.repeat(19)}\n${'b'.repeat(19)}`),
    ).toEqual([]);
    expect(linesThatCouldHoldASecret(`x\r\n${'c'.repeat(20)}\r\n`)).toEqual([
      1,
    ]);
  });

  it('lets the shortest secret of each kind through', () => {
    for (const text of [
      'x: xoxb-1234567890',
      '-----BEGIN PRIVATE KEY-----',
      'AKIAIOSFODNN7EXAMPLE',
      'k9Xq2Lm7Rt4Vw8Zp3Nb6',
      `${['ops_', 'eyJhbGciOiJFUzI1NiIsImtpZCI6'].join('')}`,
      `${['sk_live_', '4eC39HqLyjWDarjt'].join('')}`,
    ]) {
      expect(couldHoldASecret(text)).toBe(true);
      expect(findSecrets(text)).not.toEqual([]);
    }
  });
});
