import { AnswerValues } from './answers';
import { migrateAnswers, MIGRATIONS } from './migrations';
import { compareVersions, isKitVersion } from './versions';

const v010 = {
  environment: 'development',
  name: 'homelab-dns-dev-local',
  glueVersion: 'v0.12.2',
  repoUrl: 'github.com?',
  publishTarget: 'local',
  services: [{ name: 'jellyfin', port: 8096 }],
} as AnswerValues;

describe('answer migrations', () => {
  it("0.1.0 -> 0.2.0 records what 0.1.0 did implicitly, and drops a local repository's leftover repoUrl", () => {
    const { values, notes } = migrateAnswers(v010, '0.1.0', '0.2.0');
    expect(values).toEqual({
      environment: 'development',
      name: 'homelab-dns-dev-local',
      glueVersion: 'v0.12.2',
      publishTarget: 'local',
      terraformVersion: '1.11.4',
      kclVersion: 'v0.11.2',
      unifiSite: 'default',
      services: [{ name: 'jellyfin', port: 8096, noTlsVerify: false }],
    });
    expect(notes).toEqual([
      '0.1.0 -> 0.2.0: terraformVersion: pinned to 1.11.4 (0.2.0 records the Terraform release the module runs)',
      '0.1.0 -> 0.2.0: kclVersion: pinned to v0.11.2 (0.2.0 records the KCL release the module runs)',
      '0.1.0 -> 0.2.0: unifiSite: recorded as default (the site 0.1.0 always used)',
      '0.1.0 -> 0.2.0: services[].noTlsVerify: recorded as false (0.1.0 checked every origin certificate)',
      '0.1.0 -> 0.2.0: repoUrl: removed (a local repository has no GitHub location)',
    ]);
    expect(v010.repoUrl).toBe('github.com?'); // the input is not changed
  });

  it("keeps recorded pins and a GitHub repository's repoUrl", () => {
    const input = {
      ...v010,
      publishTarget: 'github',
      repoUrl: 'github.com?owner=acme&repo=x',
      terraformVersion: '1.10.0',
      unifiSite: 'lab',
      services: [{ name: 'a', noTlsVerify: true }],
    } as AnswerValues;
    const { values, notes } = migrateAnswers(input, '0.1.0', '0.2.0');
    expect(values).toMatchObject({
      terraformVersion: '1.10.0',
      kclVersion: 'v0.11.2',
      unifiSite: 'lab',
      services: [{ name: 'a', noTlsVerify: true }],
      repoUrl: 'github.com?owner=acme&repo=x',
    });
    expect(notes).toHaveLength(1);
  });

  it('0.2.0 -> 0.3.0 moves the one device, its MAC address and its services into devices', () => {
    const v020 = {
      environment: 'staging',
      name: 'homelab-dns-staging',
      internalDomain: 'internal.lan',
      deviceHostname: 'media-server',
      deviceMac: 'aa:bb:cc:dd:ee:ff',
      services: [
        { name: 'jellyfin', port: 8096, noTlsVerify: false },
        { name: 'nas', port: 5001, protocol: 'https', noTlsVerify: true },
      ],
      stateBucket: 'acme-terraform-state',
    } as AnswerValues;
    const { values, notes } = migrateAnswers(v020, '0.2.0', '0.3.0');
    expect(values).toEqual({
      environment: 'staging',
      name: 'homelab-dns-staging',
      internalDomain: 'internal.lan',
      devices: [
        {
          hostname: 'media-server',
          macAddresses: ['aa:bb:cc:dd:ee:ff'],
          services: v020.services,
        },
      ],
      stateBucket: 'acme-terraform-state',
    });
    expect(notes).toEqual([
      '0.2.0 -> 0.3.0: deviceHostname, deviceMac, services: moved into devices, as its one device media-server with its MAC address and 2 service(s) (0.3.0 lists every device of the environment, each with its MAC addresses, aliases and services)',
    ]);
    expect(v020.deviceHostname).toBe('media-server'); // the input is not changed
  });

  it('takes 0.1.0 answers through 0.2.0 to 0.3.0: the pins, then the devices', () => {
    const { values, notes } = migrateAnswers(
      { ...v010, deviceHostname: 'nas', deviceMac: 'aa:bb:cc:dd:ee:01' },
      '0.1.0',
      '0.3.0',
    );
    expect(values).toEqual({
      environment: 'development',
      name: 'homelab-dns-dev-local',
      glueVersion: 'v0.12.2',
      publishTarget: 'local',
      terraformVersion: '1.11.4',
      kclVersion: 'v0.11.2',
      unifiSite: 'default',
      devices: [
        {
          hostname: 'nas',
          macAddresses: ['aa:bb:cc:dd:ee:01'],
          services: [{ name: 'jellyfin', port: 8096, noTlsVerify: false }],
        },
      ],
    });
    expect(notes.map(n => n.slice(0, n.indexOf(':', 16)))).toEqual([
      '0.1.0 -> 0.2.0: terraformVersion',
      '0.1.0 -> 0.2.0: kclVersion',
      '0.1.0 -> 0.2.0: unifiSite',
      '0.1.0 -> 0.2.0: services[].noTlsVerify',
      '0.1.0 -> 0.2.0: repoUrl',
      '0.2.0 -> 0.3.0: deviceHostname, deviceMac, services',
    ]);
    // Moving to 0.2.0 only (upgrade --to 0.2.0) keeps 0.2.0's shape.
    expect(migrateAnswers(v010, '0.1.0', '0.2.0').values).not.toHaveProperty(
      'devices',
    );
  });

  it('leaves answers that already list devices alone, and quotes no hostname that is not one', () => {
    const current = {
      environment: 'development',
      devices: [{ hostname: 'nas', macAddresses: ['aa:bb:cc:dd:ee:01'] }],
    } as AnswerValues;
    expect(migrateAnswers(current, '0.2.0', '0.3.0')).toEqual({
      values: current,
      notes: [],
    });
    const odd = migrateAnswers(
      {
        environment: 'development',
        deviceHostname: 'Not\nA Label',
        services: [],
      } as AnswerValues,
      '0.2.0',
      '0.3.0',
    );
    expect(odd.values.devices).toEqual([
      { hostname: 'Not\nA Label', macAddresses: [], services: [] },
    ]);
    expect(odd.notes).toEqual([
      '0.2.0 -> 0.3.0: deviceHostname, services: moved into devices, as its one device with no MAC address and 0 service(s) (0.3.0 lists every device of the environment, each with its MAC addresses, aliases and services)',
    ]);
  });

  it('applies only the steps between the two versions, oldest first', () => {
    const steps = [
      {
        from: '1.0.0',
        to: '2.0.0',
        migrate: (v: AnswerValues) => ({
          values: { ...v, trail: `${v.trail ?? ''}a` } as AnswerValues,
          notes: ['a'],
        }),
      },
      {
        from: '2.0.0',
        to: '3.0.0',
        migrate: (v: AnswerValues) => ({
          values: { ...v, trail: `${v.trail ?? ''}b` } as AnswerValues,
          notes: ['b'],
        }),
      },
    ];
    expect(
      migrateAnswers(v010, '1.0.0', '3.0.0', [...steps].reverse()).values.trail,
    ).toBe('ab');
    expect(migrateAnswers(v010, '2.0.0', '3.0.0', steps).values.trail).toBe(
      'b',
    );
    expect(migrateAnswers(v010, '1.0.0', '2.0.0', steps).values.trail).toBe(
      'a',
    );
    expect(migrateAnswers(v010, '3.0.0', '3.0.0', steps).notes).toEqual([]);
  });

  it('records every migration between release versions, in order, each starting where the last one ended', () => {
    for (const m of MIGRATIONS) {
      expect(isKitVersion(m.from) && isKitVersion(m.to)).toBe(true);
      expect(compareVersions(m.from, m.to)).toBeLessThan(0);
    }
    for (let i = 1; i < MIGRATIONS.length; i++)
      expect(MIGRATIONS[i].from).toBe(MIGRATIONS[i - 1].to);
  });
});

describe('kit versions', () => {
  it('orders MAJOR.MINOR.PATCH numerically and refuses anything else', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(compareVersions('0.1.0', '0.2.0')).toBeLessThan(0);
    expect(isKitVersion('0.2.0-next.1')).toBe(false);
    expect(isKitVersion('01.0.0')).toBe(false);
    expect(() => compareVersions('latest', '0.1.0')).toThrow(
      'Not a kit version: latest',
    );
  });
});
