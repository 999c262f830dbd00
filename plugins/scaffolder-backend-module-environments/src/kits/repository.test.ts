import { evaluateStepInput } from './repository';

describe('evaluateStepInput', () => {
  const scope = {
    parameters: {
      name: 'homelab',
      port: 443,
      items: [{ a: 1 }],
      blank: ' x ',
      locking: 'lockfile',
      table: 'locks',
    },
  };

  it('keeps values their type, as the scaffolder evaluates a sole expression', () => {
    expect(
      evaluateStepInput(
        {
          name: '${{ parameters.name }}',
          port: '${{ parameters.port }}',
          items: '${{ parameters.items }}',
          literal: 'production',
          text: 'x-${{ parameters.name }}',
        },
        scope,
      ),
    ).toEqual({
      name: 'homelab',
      port: 443,
      items: [{ a: 1 }],
      literal: 'production',
      text: 'x-homelab',
    });
  });

  it('leaves out what evaluates to undefined and keeps an expression that fails as its text', () => {
    expect(
      evaluateStepInput(
        {
          missing: '${{ parameters.nothing }}',
          table:
            "${{ parameters.table if parameters.locking != 'lockfile' else undefined }}",
          trimmed: '${{ parameters.blank | trim }}',
          failing: '${{ parameters.port | trim }}',
        },
        scope,
      ),
    ).toEqual({ trimmed: 'x', failing: '${{ parameters.port | trim }}' });
  });
});
