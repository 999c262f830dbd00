/**
 * The description rule refuses invisible characters by explicit code-point ranges (the same
 * text in the forms and the model, whatever Unicode version a browser knows). This checks the
 * ranges against the Unicode properties they stand for, code point by code point, and that the
 * scaffolder's form validator (jsonschema, which compiles patterns with the `u` flag) reads
 * them the same way as the model.
 */
import { validate } from 'jsonschema';
import { matchesRule, rules } from '../../src/parameters/fieldRules';

/** The negated class of the description pattern, as written. */
function descriptionClass(): string {
  const m = /\[\^(.*)\]\*\$$/.exec(rules.description.pattern);
  if (!m)
    throw new Error(
      'the description pattern no longer ends in a negated class',
    );
  return m[1];
}

const PROPERTIES =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;

describe('the description rule and Unicode properties', () => {
  it('refuses exactly Cc, Cf, Zl, Zp, Default_Ignorable_Code_Point, U+2800 and the surrogates', () => {
    const refused = new RegExp(`^[${descriptionClass()}]$`, 'u');
    const differences: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const char = String.fromCodePoint(cp);
      const want = (cp >= 0xd800 && cp <= 0xdfff) || PROPERTIES.test(char);
      if (refused.test(char) !== want)
        differences.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
      if (differences.length > 20) break;
    }
    expect(differences).toEqual([]);
  });

  it.each([
    ['ZERO WIDTH JOINER', '\u200d'],
    ['SOFT HYPHEN', '\u00ad'],
    ['MONGOLIAN VOWEL SEPARATOR', '\u180e'],
    ['COMBINING GRAPHEME JOINER', '\u034f'],
    ['HANGUL FILLER', '\u3164'],
    ['HANGUL CHOSEONG FILLER', '\u115f'],
    ['BRAILLE PATTERN BLANK', '\u2800'],
    ['VARIATION SELECTOR-16', '\ufe0f'],
    ['INHIBIT SYMMETRIC SWAPPING', '\u206a'],
    ['TAG LATIN SMALL LETTER A', '\u{e0061}'],
    ['CANCEL TAG', '\u{e007f}'],
    ['LANGUAGE TAG', '\u{e0001}'],
  ])('%s is refused by the model and by the form validator', (_name, char) => {
    const value = `Media${char}server`;
    expect(matchesRule('description', value)).toBe(false);
    const schema = {
      type: 'string',
      pattern: rules.description.pattern,
      maxLength: rules.description.maxLength,
    };
    expect(validate(value, schema).valid).toBe(false);
    expect(validate('Media server', schema).valid).toBe(true);
  });

  it('keeps ordinary text, accents, CJK, emoji and non-breaking spaces', () => {
    for (const value of [
      'Café DNS für das Heimlabor',
      '家庭实验室的 DNS',
      'Media 🎬 server',
      'a\u00a0b',
      'x \u3000 y',
    ]) {
      expect(matchesRule('description', value)).toBe(true);
    }
  });
});
