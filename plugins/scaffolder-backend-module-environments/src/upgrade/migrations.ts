import { AnswerValues } from './answers';
import { compareVersions } from './versions';

/**
 * One recorded step between two kit versions: what the later kit expects of answers written by
 * the earlier one. Migrations are history: they use the values of their own time (0.2.0's
 * defaults), never today's constants, so an old repository upgrades the same way forever.
 */
export interface AnswersMigration {
  from: string;
  to: string;
  /** Rewrites the values; returns what it did, one line per change, for the upgrade report. */
  migrate(values: AnswerValues): { values: AnswerValues; notes: string[] };
}

export const MIGRATIONS: AnswersMigration[] = [
  {
    from: '0.1.0',
    to: '0.2.0',
    migrate(input) {
      const values: Record<string, unknown> = { ...input };
      const notes: string[] = [];
      // 0.2.0 pins the Terraform and KCL images the module runs, with these defaults; 0.1.0 let
      // the module choose, so the pins are recorded explicitly where the answers had none.
      if (values.terraformVersion === undefined) {
        values.terraformVersion = '1.11.4';
        notes.push(
          'terraformVersion: pinned to 1.11.4 (0.2.0 records the Terraform release the module runs)',
        );
      }
      if (values.kclVersion === undefined) {
        values.kclVersion = 'v0.11.2';
        notes.push(
          'kclVersion: pinned to v0.11.2 (0.2.0 records the KCL release the module runs)',
        );
      }
      // 0.1.0 wrote the UniFi site "default" into kcl/main.k; 0.2.0 asks for it and records it.
      if (values.unifiSite === undefined) {
        values.unifiSite = 'default';
        notes.push(
          'unifiSite: recorded as default (the site 0.1.0 always used)',
        );
      }
      // 0.1.0 checked every tunnel origin's certificate (unless development skipped TLS checks
      // altogether); 0.2.0 records that per service.
      if (
        Array.isArray(values.services) &&
        values.services.some(
          s => (s as Record<string, unknown>)?.noTlsVerify === undefined,
        )
      ) {
        values.services = values.services.map(s => ({
          ...(s as Record<string, unknown>),
          noTlsVerify: (s as Record<string, unknown>).noTlsVerify ?? false,
        }));
        notes.push(
          'services[].noTlsVerify: recorded as false (0.1.0 checked every origin certificate)',
        );
      }
      // 0.1.0 kept the RepoUrlPicker's leftover value ("github.com?") for local repositories;
      // 0.2.0 records no GitHub location for a repository that has none.
      if (values.publishTarget === 'local' && values.repoUrl !== undefined) {
        delete values.repoUrl;
        notes.push(
          'repoUrl: removed (a local repository has no GitHub location)',
        );
      }
      return { values: values as AnswerValues, notes };
    },
  },
  {
    from: '0.2.0',
    to: '0.3.0',
    migrate(input) {
      const values: Record<string, unknown> = { ...input };
      const { deviceHostname, deviceMac, services } = values;
      const moved = Object.entries({ deviceHostname, deviceMac, services })
        .filter(([, value]) => value !== undefined)
        .map(([field]) => field);
      // Answers that already list devices are in 0.3.0's shape: nothing is moved, and leftover
      // single-device fields stay for the kit to name, rather than be merged by guesswork.
      if (values.devices !== undefined || moved.length === 0)
        return { values: values as AnswerValues, notes: [] };
      // 0.2.0 described the one device, its MAC address and its services at the top level; 0.3.0
      // lists devices. The device keeps its hostname and its MAC address comes first, so its
      // local DNS name, its UniFi client and its tunnel (named <name>-<hostname>, keyed by the
      // first MAC) stay the same.
      delete values.deviceHostname;
      delete values.deviceMac;
      delete values.services;
      values.devices = [
        {
          hostname: deviceHostname,
          macAddresses: deviceMac === undefined ? [] : [deviceMac],
          services: services ?? [],
        },
      ];
      const hostname =
        typeof deviceHostname === 'string' &&
        /^[a-z0-9-]{1,63}$/.test(deviceHostname)
          ? ` ${deviceHostname}`
          : '';
      const count = Array.isArray(services) ? services.length : 0;
      return {
        values: values as AnswerValues,
        notes: [
          `${moved.join(', ')}: moved into devices, as its one device${hostname} with ${deviceMac === undefined ? 'no' : 'its'} MAC address and ${count} service(s) (0.3.0 lists every device of the environment, each with its MAC addresses, aliases and services)`,
        ],
      };
    },
  },
];

/**
 * Moves answers recorded by kit version `from` to kit version `to` through every recorded
 * migration in between, oldest first. Versions without a migration changed no answers.
 */
export function migrateAnswers(
  values: AnswerValues,
  from: string,
  to: string,
  migrations: AnswersMigration[] = MIGRATIONS,
): { values: AnswerValues; notes: string[] } {
  const steps = migrations
    .filter(
      m => compareVersions(m.from, from) >= 0 && compareVersions(m.to, to) <= 0,
    )
    .sort((a, b) => compareVersions(a.from, b.from));
  let current = values;
  const notes: string[] = [];
  for (const step of steps) {
    const result = step.migrate(current);
    current = result.values;
    notes.push(
      ...result.notes.map(note => `${step.from} -> ${step.to}: ${note}`),
    );
  }
  return { values: current, notes };
}
