import { stringify } from 'yaml';
import { AnswerValues, applyChanges, parseAnswers } from './answers';

const good = {
  template: 'template:default/staging-environment',
  templateVersion: '0.1.0',
  values: { environment: 'staging', name: 'x', services: [{ name: 'a' }] },
};

describe('parseAnswers', () => {
  it('reads template, version and values', () => {
    expect(parseAnswers(`# comment\n${stringify(good)}`)).toEqual(good);
  });

  it.each([
    ['not YAML', 'a: [', 'is not valid YAML'],
    ['a list', '- 1\n', 'must hold a mapping'],
    [
      'no template reference',
      stringify({ ...good, template: 'staging' }),
      'template must be a template entity reference',
    ],
    [
      'a version range',
      stringify({ ...good, templateVersion: '^0.1.0' }),
      'templateVersion must be a kit version',
    ],
    [
      'a number as version',
      'template: template:default/x\ntemplateVersion: 0.1\nvalues: {environment: staging}\n',
      'templateVersion must be a kit version',
    ],
    [
      'no values',
      stringify({ ...good, values: undefined }),
      'values must be a mapping',
    ],
    [
      'an unknown environment',
      stringify({ ...good, values: { environment: 'qa' } }),
      'values.environment must be one of development, staging, production',
    ],
  ])('refuses %s', (_, text, message) => {
    expect(() => parseAnswers(text)).toThrow(message);
  });
});

describe('applyChanges', () => {
  const values = good.values as unknown as AnswerValues;

  it('sets fields, removes fields set to null, and appends addServices', () => {
    const next = applyChanges(
      { ...values, description: 'old' } as AnswerValues,
      {
        glueVersion: 'v0.13.0',
        description: null,
        addServices: [{ name: 'b' }],
      },
    );
    expect(next).toEqual({
      environment: 'staging',
      name: 'x',
      glueVersion: 'v0.13.0',
      services: [{ name: 'a' }, { name: 'b' }],
    });
    expect(values.services).toEqual([{ name: 'a' }]);
  });

  it('refuses to change the environment and a non-list addServices', () => {
    expect(() => applyChanges(values, { environment: 'production' })).toThrow(
      'environment cannot change',
    );
    expect(applyChanges(values, { environment: 'staging' })).toEqual(values);
    expect(() => applyChanges(values, { addServices: 'b' as never })).toThrow(
      'addServices must be a list',
    );
  });
});
