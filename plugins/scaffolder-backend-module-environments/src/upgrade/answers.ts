import { parse } from 'yaml';
import { trimBlanks } from '../parameters/fieldRules';
import { ENVIRONMENTS, Environment, passed } from '../parameters/model';
import { UpgradeError } from './errors';
import { isKitVersion } from './versions';

/** The answers file every kit writes at the repository root. */
export const ANSWERS_FILE = '.environment-answers.yaml';

/** Answer values as a kit records them: the validated form values, defaults filled in. */
export type AnswerValues = Record<string, unknown> & {
  environment: Environment;
};

/** What `.environment-answers.yaml` says: the template, the kit version and the answers. */
export interface Answers {
  /** Template entity reference, e.g. `template:default/production-environment`. */
  template: string;
  /** Kit version that rendered the repository. */
  templateVersion: string;
  values: AnswerValues;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an answers file; every problem names the file and the field. */
export function parseAnswers(text: string): Answers {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new UpgradeError(
      `${ANSWERS_FILE} is not valid YAML: ${(error as Error).message}`,
    );
  }
  if (!isMapping(document))
    throw new UpgradeError(
      `${ANSWERS_FILE} must hold a mapping with template, templateVersion and values`,
    );
  const { template, templateVersion, values } = document;
  if (
    typeof template !== 'string' ||
    !/^template:[^\s/]+\/[^\s/]+$/.test(template)
  ) {
    throw new UpgradeError(
      `${ANSWERS_FILE}: template must be a template entity reference, for example "template:default/production-environment"`,
    );
  }
  if (!isKitVersion(templateVersion)) {
    throw new UpgradeError(
      `${ANSWERS_FILE}: templateVersion must be a kit version MAJOR.MINOR.PATCH, for example "0.1.0"`,
    );
  }
  if (!isMapping(values))
    throw new UpgradeError(
      `${ANSWERS_FILE}: values must be a mapping of the answers`,
    );
  if (!(ENVIRONMENTS as readonly unknown[]).includes(values.environment)) {
    throw new UpgradeError(
      `${ANSWERS_FILE}: values.environment must be one of ${ENVIRONMENTS.join(', ')}`,
    );
  }
  return { template, templateVersion, values: values as AnswerValues };
}

/**
 * Changes to the answers: a mapping of answer fields to new values (a list replaces the list),
 * `null` removes an optional field, `addDevices` appends devices to the recorded ones, and
 * `addServices` appends services, each to the device its optional `device` names (the hostname
 * of a device the environment has, or one `addDevices` adds; may be left out when the environment
 * has exactly one device).
 */
export interface AnswerChanges {
  [field: string]: unknown;
  addServices?: unknown[];
  addDevices?: unknown[];
}

const SERVICE_EXAMPLE =
  '{name: photos, port: 2283, publicHostname: photos.example.com}';
const DEVICE_EXAMPLE =
  '{hostname: nas, macAddresses: ["aa:bb:cc:dd:ee:01"], services: [{name: files, port: 5001, protocol: https, distribution: unifi_only}]}';

/** Where added services go: a device's hostname and services, and where the answers hold them. */
interface DeviceSlot {
  hostname: unknown;
  services: unknown[];
  /** The services' field path, e.g. `devices[1].services`. */
  path: string;
  /** Stores the (new) service list back into the answers. */
  store(services: unknown[]): void;
}

/**
 * The devices of the answers: 0.3.0 and later list `devices`; answers of an earlier kit (an
 * upgrade `--to` 0.2.0) describe their one device by `deviceHostname` and top-level `services`.
 */
function deviceSlots(next: Record<string, unknown>): DeviceSlot[] {
  if (Array.isArray(next.devices)) {
    const devices = next.devices.map(d => (isMapping(d) ? { ...d } : d));
    next.devices = devices;
    return devices.flatMap((device, d) =>
      isMapping(device)
        ? [
            {
              hostname: device.hostname,
              services: Array.isArray(device.services) ? device.services : [],
              path: `devices[${d}].services`,
              store: (services: unknown[]) => {
                device.services = services;
              },
            },
          ]
        : [],
    );
  }
  if (
    next.devices === undefined &&
    (next.deviceHostname !== undefined || Array.isArray(next.services))
  ) {
    return [
      {
        hostname: next.deviceHostname,
        services: Array.isArray(next.services) ? next.services : [],
        path: 'services',
        store: services => {
          next.services = services;
        },
      },
    ];
  }
  return [];
}

/**
 * A name for a message: quoted only when it is a DNS label and no pasted secret (the model's
 * own test), never arbitrary input.
 */
function label(value: unknown): string | undefined {
  return typeof value === 'string' && passed('hostnameLabel', value)
    ? value
    : undefined;
}

const hostnamesOf = (slots: DeviceSlot[]) =>
  slots.map(s => label(s.hostname) ?? '(invalid hostname)').join(', ');

/** The device an added service names (or the only one); otherwise which rule it broke. */
function targetDevice(
  slots: DeviceSlot[],
  device: unknown,
  field: string,
): DeviceSlot {
  const example =
    slots.map(s => label(s.hostname)).find(Boolean) ?? 'media-server';
  const hostname = typeof device === 'string' ? trimBlanks(device) : device;
  // Left out, left empty in the form, or null in a changes file: the same.
  if (hostname === undefined || hostname === null || hostname === '') {
    if (slots.length === 1) return slots[0];
    throw new UpgradeError(
      slots.length === 0
        ? `${field} has no device to add the service to: the answers record none; add one with addDevices, for example [${DEVICE_EXAMPLE}]`
        : `${field} is required: this environment has ${slots.length} devices (${hostnamesOf(slots)}), so an added service names the hostname of the device that runs it, for example device: ${example}`,
    );
  }
  const slot =
    typeof hostname === 'string'
      ? slots.find(s => s.hostname === hostname)
      : undefined;
  if (slot) return slot;
  const named = label(hostname);
  throw new UpgradeError(
    `${field} ${named ? `names ${named}, which is not a device of this environment` : 'must be the hostname of a device of this environment'}: one of ${hostnamesOf(slots) || 'none'}, for example "${example}"; a new device is added with addDevices`,
  );
}

/** The answers after {@link changeAnswers}, what it did, and where the added entries landed. */
export interface ChangedAnswers {
  values: AnswerValues;
  /** One line per change, for the upgrade report. */
  notes: string[];
  /** Where each added device and service is in the answers, e.g. `addServices[0] is devices[1].services[3]`. */
  locations: string[];
}

/**
 * Applies changes to recorded answers (see {@link AnswerChanges}); the environment of a
 * repository never changes. Every refusal names the field, the rule and an example.
 */
export function changeAnswers(
  values: AnswerValues,
  changes: AnswerChanges | undefined,
): ChangedAnswers {
  const notes: string[] = [];
  const locations: string[] = [];
  if (!changes) return { values, notes, locations };
  if (!isMapping(changes))
    throw new UpgradeError(
      'The answer changes must be a mapping of answer fields to new values, for example {glueVersion: v0.12.2}',
    );
  const next: Record<string, unknown> = { ...values };
  for (const [field, value] of Object.entries(changes)) {
    if (field === 'addServices' || field === 'addDevices') continue;
    if (field === 'environment') {
      if (value !== values.environment) {
        throw new UpgradeError(
          `environment cannot change: this is a ${values.environment} repository; create a new environment instead`,
        );
      }
      continue;
    }
    if (value === null) delete next[field];
    else next[field] = value;
    notes.push(`${field}: changed as requested`);
  }
  if (changes.addDevices !== undefined) {
    if (
      !Array.isArray(changes.addDevices) ||
      !changes.addDevices.every(isMapping)
    ) {
      throw new UpgradeError(
        `addDevices must be a list of devices, for example [${DEVICE_EXAMPLE}]`,
      );
    }
    if (!Array.isArray(next.devices)) {
      throw new UpgradeError(
        'addDevices needs answers that list devices (kit version 0.3.0 and later), but these describe one device by deviceHostname: upgrade to the current kit (leave out --to), for example with addDevices in the same run',
      );
    }
    const before = next.devices.length;
    next.devices = [...next.devices, ...changes.addDevices];
    changes.addDevices.forEach((device, i) => {
      locations.push(`addDevices[${i}] is devices[${before + i}]`);
      notes.push(
        `addDevices: device ${label((device as Record<string, unknown>).hostname) ?? before + i + 1} added`,
      );
    });
  }
  if (changes.addServices !== undefined) {
    if (
      !Array.isArray(changes.addServices) ||
      !changes.addServices.every(isMapping)
    ) {
      throw new UpgradeError(
        `addServices must be a list of services, for example [${SERVICE_EXAMPLE}]`,
      );
    }
    const slots = deviceSlots(next);
    changes.addServices.forEach((item, i) => {
      const { device, ...service } = item as Record<string, unknown>;
      const slot = targetDevice(slots, device, `addServices[${i}].device`);
      locations.push(
        `addServices[${i}] is ${slot.path}[${slot.services.length}]`,
      );
      slot.services = [...slot.services, service];
      slot.store(slot.services);
      const host = label(slot.hostname);
      notes.push(
        `addServices: service ${label(service.name) ?? i + 1} added${host ? ` to device ${host}` : ''}`,
      );
    });
  }
  return { values: next as AnswerValues, notes, locations };
}

/** Applies changes to recorded answers; see {@link changeAnswers}, which also says what it did. */
export function applyChanges(
  values: AnswerValues,
  changes: AnswerChanges | undefined,
): AnswerValues {
  return changeAnswers(values, changes).values;
}
