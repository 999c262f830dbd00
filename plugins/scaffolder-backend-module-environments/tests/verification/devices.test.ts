import { ENVIRONMENTS, ParameterInput } from '../../src/parameters/model';
import { startScaffolderBackend } from '../../src/__testUtils__/backend';
import { canonicalValues } from '../../src/__testUtils__/values';
import { device } from '../../src/__testUtils__/verification/matrix';
import {
  Backend,
  dryRunRefusal,
} from '../../src/__testUtils__/verification/renders';

/**
 * The rules that span devices, through the real /v2/dry-run of each template: a clash between
 * two devices is refused, nothing is rendered, and the message names both: the field of the
 * second (`devices[1]...`) and the first by number and hostname (`device 1 (nas)`).
 */

jest.setTimeout(120_000);

let backend: Backend;

beforeAll(async () => {
  backend = await startScaffolderBackend();
});

afterAll(async () => {
  await backend?.stop();
});

/** The canonical values of a tier with `devices` instead of its own. */
function withDevices(
  environment: (typeof ENVIRONMENTS)[number],
  devices: ParameterInput['devices'],
): ParameterInput {
  return { ...canonicalValues[environment], devices };
}

describe.each(ENVIRONMENTS.map(e => [e] as const))('%s', environment => {
  const zone = canonicalValues[environment].zoneName;

  it('refuses a public hostname used on two devices, naming both', async () => {
    const refusal = await dryRunRefusal(
      backend,
      environment,
      withDevices(environment, [
        device(
          'nas',
          ['aa:bb:cc:dd:ee:01'],
          [{ name: 'files', port: 5001, publicHostname: `media.${zone}` }],
        ),
        device(
          'media-server',
          ['aa:bb:cc:dd:ee:02'],
          [{ name: 'jellyfin', port: 8096, publicHostname: `media.${zone}` }],
        ),
      ]),
    );
    expect(refusal.status).not.toBe(200);
    expect(refusal.message).toContain(
      `devices[1].services[0].publicHostname repeats the public hostname media.${zone} of device 1 (nas), service 1 (files)`,
    );
  });

  it('refuses a MAC address on two devices, written in two notations, naming both', async () => {
    const refusal = await dryRunRefusal(
      backend,
      environment,
      withDevices(environment, [
        device(
          'nas',
          ['02:00:5e:10:00:01', 'AA-BB-CC-DD-EE-01'],
          [{ name: 'files', port: 5001, distribution: 'unifi_only' }],
        ),
        device(
          'media-server',
          ['02:00:5e:10:00:02', 'aabb.ccdd.ee01'],
          [{ name: 'jellyfin', port: 8096, distribution: 'unifi_only' }],
        ),
      ]),
    );
    expect(refusal.status).not.toBe(200);
    expect(refusal.message).toContain(
      'devices[1].macAddresses[1] repeats the MAC address aa:bb:cc:dd:ee:01 of device 1 (nas), MAC 2',
    );
  });

  it("refuses a device hostname equal to another device's alias, either way round, naming both", async () => {
    const services = (name: string) => [
      { name, port: 8080, distribution: 'unifi_only' as const },
    ];
    const aliasFirst = await dryRunRefusal(
      backend,
      environment,
      withDevices(environment, [
        device('nas', ['aa:bb:cc:dd:ee:01'], services('files'), {
          aliases: ['storage', 'media'],
        }),
        device('media', ['aa:bb:cc:dd:ee:02'], services('jellyfin')),
      ]),
    );
    expect(aliasFirst.status).not.toBe(200);
    expect(aliasFirst.message).toContain(
      'devices[1].hostname repeats the name "media" of alias 2 of device 1 (nas)',
    );
    const hostnameFirst = await dryRunRefusal(
      backend,
      environment,
      withDevices(environment, [
        device('media', ['aa:bb:cc:dd:ee:01'], services('jellyfin')),
        device('nas', ['aa:bb:cc:dd:ee:02'], services('files'), {
          aliases: ['media'],
        }),
      ]),
    );
    expect(hostnameFirst.status).not.toBe(200);
    expect(hostnameFirst.message).toContain(
      'devices[1].aliases[0] repeats the name "media" of the hostname of device 1 (media)',
    );
  });
});
