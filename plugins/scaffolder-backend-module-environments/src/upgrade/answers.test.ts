import { stringify } from 'yaml';
import {
  AnswerValues,
  applyChanges,
  changeAnswers,
  parseAnswers,
} from './answers';

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

  it('says what each change did, for the upgrade report', () => {
    expect(
      changeAnswers(values, {
        glueVersion: 'v0.13.0',
        environment: 'staging',
        addServices: [{ name: 'b' }],
      }).notes,
    ).toEqual([
      'glueVersion: changed as requested',
      'addServices: service b added',
    ]);
  });
});

describe('applyChanges with devices', () => {
  const media = {
    hostname: 'media-server',
    macAddresses: ['aa:bb:cc:dd:ee:ff'],
    services: [{ name: 'jellyfin', port: 8096 }],
  };
  const nas = {
    hostname: 'nas',
    macAddresses: ['aa:bb:cc:dd:ee:01'],
    aliases: ['storage'],
    services: [{ name: 'files', port: 5001 }],
  };
  const one = { environment: 'development', devices: [media] } as AnswerValues;
  const two = {
    environment: 'development',
    devices: [media, nas],
  } as AnswerValues;
  const photos = {
    name: 'photos',
    port: 2283,
    publicHostname: 'photos.example.com',
  };

  it('adds a service to the one device when it names none, and to the device it names', () => {
    expect(applyChanges(one, { addServices: [photos] }).devices).toEqual([
      { ...media, services: [...media.services, photos] },
    ]);
    const changed = changeAnswers(two, {
      addServices: [
        { ...photos, device: 'nas' },
        { name: 'grafana', port: 3000, device: ' media-server\t' },
      ],
    });
    expect(changed.values.devices).toEqual([
      {
        ...media,
        services: [...media.services, { name: 'grafana', port: 3000 }],
      },
      { ...nas, services: [...nas.services, photos] },
    ]);
    expect(changed.notes).toEqual([
      'addServices: service photos added to device nas',
      'addServices: service grafana added to device media-server',
    ]);
    expect(changed.locations).toEqual([
      'addServices[0] is devices[1].services[1]',
      'addServices[1] is devices[0].services[1]',
    ]);
    // The recorded answers are not changed.
    expect(nas.services).toEqual([{ name: 'files', port: 5001 }]);
    expect(two.devices).toEqual([media, nas]);
  });

  it('refuses a service without a device when there are several, naming the field, the rule and an example', () => {
    for (const device of [undefined, null, '', ' \t'])
      expect(() =>
        applyChanges(two, { addServices: [{ ...photos, device }, photos] }),
      ).toThrow(
        'addServices[0].device is required: this environment has 2 devices (media-server, nas), so an added service names the hostname of the device that runs it, for example device: media-server',
      );
  });

  it('refuses a device the environment does not have, quoting it only when it is a hostname', () => {
    expect(() =>
      applyChanges(two, {
        addServices: [
          { ...photos, device: 'nas' },
          { ...photos, device: 'printer' },
        ],
      }),
    ).toThrow(
      'addServices[1].device names printer, which is not a device of this environment: one of media-server, nas, for example "media-server"; a new device is added with addDevices',
    );
    // The last one is a valid DNS label that the model refuses as a pasted secret.
    for (const device of [
      '\u001b[31mNAS',
      42,
      ['nas'],
      'k3j9x8q2m4n7p1r5t6w0z',
    ])
      expect(() =>
        applyChanges(two, { addServices: [{ ...photos, device }] }),
      ).toThrow(
        'addServices[0].device must be the hostname of a device of this environment: one of media-server, nas, for example "media-server"; a new device is added with addDevices',
      );
  });

  it('appends devices, and services to a device added in the same change', () => {
    const printer = {
      hostname: 'printer',
      macAddresses: ['aa:bb:cc:dd:ee:02'],
      services: [{ name: 'cups', port: 631, distribution: 'unifi_only' }],
    };
    const changed = changeAnswers(one, {
      addDevices: [printer],
      addServices: [{ ...photos, device: 'printer' }],
    });
    expect(changed.values.devices).toEqual([
      media,
      { ...printer, services: [...printer.services, photos] },
    ]);
    expect(changed.notes).toEqual([
      'addDevices: device printer added',
      'addServices: service photos added to device printer',
    ]);
    expect(changed.locations).toEqual([
      'addDevices[0] is devices[1]',
      'addServices[0] is devices[1].services[1]',
    ]);
    expect(printer.services).toHaveLength(1);
  });

  it('refuses addDevices that is not a list of devices, and on answers of one device by deviceHostname', () => {
    expect(() => applyChanges(one, { addDevices: 'nas' as never })).toThrow(
      'addDevices must be a list of devices, for example [{hostname: nas, macAddresses: ["aa:bb:cc:dd:ee:01"], services: [{name: files, port: 5001, protocol: https, distribution: unifi_only}]}]',
    );
    expect(() => applyChanges(one, { addDevices: ['nas'] })).toThrow(
      'addDevices must be a list of devices',
    );
    expect(() => applyChanges(one, { addServices: [['photos']] })).toThrow(
      'addServices must be a list of services, for example [{name: photos, port: 2283, publicHostname: photos.example.com}]',
    );
    const v020 = {
      environment: 'development',
      deviceHostname: 'media-server',
      services: [{ name: 'jellyfin' }],
    } as AnswerValues;
    expect(() => applyChanges(v020, { addDevices: [nas] })).toThrow(
      'addDevices needs answers that list devices (kit version 0.3.0 and later)',
    );
  });

  it("adds services to an earlier kit's one device (an upgrade --to 0.2.0), named or not", () => {
    const v020 = {
      environment: 'development',
      deviceHostname: 'media-server',
      services: [{ name: 'jellyfin' }],
    } as AnswerValues;
    expect(
      applyChanges(v020, {
        addServices: [photos, { ...photos, name: 'b', device: 'media-server' }],
      }).services,
    ).toEqual([{ name: 'jellyfin' }, photos, { ...photos, name: 'b' }]);
    expect(() =>
      applyChanges(v020, { addServices: [{ ...photos, device: 'nas' }] }),
    ).toThrow(
      'addServices[0].device names nas, which is not a device of this environment: one of media-server',
    );
    expect(() =>
      applyChanges({ environment: 'development' } as AnswerValues, {
        addServices: [photos],
      }),
    ).toThrow('addServices[0].device has no device to add the service to');
  });
});
