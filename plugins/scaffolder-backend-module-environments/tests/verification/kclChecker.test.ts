import {
  checkKclMain,
  checkKclMod,
  isValidDomain,
} from '../../src/__testUtils__/standIns/kclChecker';

/** A main.k in the shape unifi-cloudflare-glue v0.12.2 accepts; each test breaks one thing. */
const VALID = `# A comment with "quotes", \${braces} and a \\ backslash is not a string.
import unifi_cloudflare_glue.schemas.unifi as unifi
import unifi_cloudflare_glue.schemas.cloudflare as cloudflare
import unifi_cloudflare_glue.generators.unifi as unifi_gen
import unifi_cloudflare_glue.generators.cloudflare as cf_gen

_device = unifi.UniFiEntity {
    friendly_hostname = "media-server"
    domain = "internal.lan"
    endpoints = [
        unifi.UniFiEndpoint {
            mac_address = "aa:bb:cc:dd:ee:ff"
            query_unifi = True
        }
    ]
    services = [
        unifi.Service {
            name = "jellyfin"
            port = 8096
            protocol = "http"
            distribution = "both"
            internal_hostname = "jellyfin.internal.lan"
            public_hostname = "media.example.com"
        }
    ]
}

unifi_config = unifi.UniFiConfig {
    devices = [_device]
    default_domain = "internal.lan"
    unifi_controller = unifi.UniFiController {
        host = "unifi.internal.lan"
        port = 443
    }
}

cloudflare_config = cloudflare.CloudflareConfig {
    zone_name = "example.com"
    account_id = "0123456789abcdef0123456789abcdef"
    tunnels = {
        "aa:bb:cc:dd:ee:ff": cloudflare.CloudflareTunnel {
            tunnel_name = "media-server"
            mac_address = "aa:bb:cc:dd:ee:ff"
            services = [
                cloudflare.TunnelService {
                    public_hostname = "media.example.com"
                    local_service_url = "http://jellyfin.internal.lan:8096"
                    no_tls_verify = False
                }
            ]
        }
    }
}

unifi_output = unifi_gen.generate_unifi_config(unifi_config)
cf_output = cf_gen.generate_cloudflare_config(cloudflare_config)
`;

/** VALID with `from` replaced by `to` (the text must occur, so a test cannot silently miss). */
function broken(from: string | RegExp, to: string): string {
  const text = VALID.replace(from, to);
  if (text === VALID) throw new Error(`test setup: ${from} not found`);
  return text;
}

const problemsOf = (text: string) =>
  checkKclMain(text, {
    zoneName: 'example.com',
    internalDomain: 'internal.lan',
  }).problems;

describe('the KCL structural checker', () => {
  it('accepts a main.k in the shape the module needs, and reads its values', () => {
    const result = checkKclMain(VALID);
    expect(result.problems).toEqual([]);
    expect([...result.schemasUsed].sort()).toEqual(
      [
        'CloudflareConfig',
        'CloudflareTunnel',
        'Service',
        'TunnelService',
        'UniFiConfig',
        'UniFiController',
        'UniFiEndpoint',
        'UniFiEntity',
      ].sort(),
    );
    expect(result.values.unifi_output).toEqual({
      __call: 'unifi_gen.generate_unifi_config',
      args: [{ __ref: 'unifi_config' }],
    });
    expect(
      (result.values.cloudflare_config as any).tunnels['aa:bb:cc:dd:ee:ff']
        .services[0].local_service_url,
    ).toBe('http://jellyfin.internal.lan:8096');
  });

  it.each([
    [
      'a bracket never closed',
      broken(/\n\}\n\nunifi_config/, '\n\nunifi_config'),
      /never closed|expected/,
    ],
    [
      'a bracket closed by the wrong kind',
      broken('devices = [_device]', 'devices = [_device}'),
      /closes \[/,
    ],
    [
      'a stray closing bracket',
      broken('cf_output = ', ') cf_output = '),
      /closes nothing/,
    ],
    [
      'an escape other than \\\\ and \\"',
      broken('"media-server"\n    domain', '"media\\nserver"\n    domain'),
      /string escape \\n/,
    ],
    [
      'KCL interpolation in a string',
      broken('"jellyfin"', '"${name}"'),
      /interpolates/,
    ],
    [
      'an unterminated string',
      broken('"media-server"', '"media-server'),
      /unterminated string/,
    ],
    [
      'a single-quoted string',
      broken('"internal.lan"\n    endpoints', "'internal.lan'\n    endpoints"),
      /single-quoted/,
    ],
    [
      'a raw string prefix',
      broken('name = "jellyfin"', 'name = r"jellyfin"'),
      /string prefix r/,
    ],
    [
      'a missing generator import',
      broken(
        'import unifi_cloudflare_glue.generators.cloudflare as cf_gen\n',
        '',
      ),
      /missing import unifi_cloudflare_glue\.generators\.cloudflare/,
    ],
    [
      'an unexpected import',
      broken(
        'import unifi_cloudflare_glue.schemas.unifi as unifi',
        'import os\nimport unifi_cloudflare_glue.schemas.unifi as unifi',
      ),
      /unexpected import os/,
    ],
    [
      'a misspelt schema name',
      broken('unifi.UniFiEntity', 'unifi.UnifiEntity'),
      /UnifiEntity is not a schema/,
    ],
    [
      'a schema through the wrong module',
      broken('unifi.UniFiController', 'cloudflare.UniFiController'),
      /must be reached through the alias of unifi_cloudflare_glue\.schemas\.unifi/,
    ],
    [
      'an attribute the schema does not declare',
      broken('friendly_hostname = ', 'friendly_name = '),
      /UniFiEntity has no attribute friendly_name/,
    ],
    [
      'a missing required attribute',
      broken('        host = "unifi.internal.lan"\n', ''),
      /lacks the required attribute host/,
    ],
    [
      'an attribute set twice',
      broken('port = 8096', 'port = 8096\n            port = 8097'),
      /Service\.port is set twice/,
    ],
    [
      'a tunnel keyed by something else than its MAC',
      broken('"aa:bb:cc:dd:ee:ff": cloudflare', '"media-server": cloudflare'),
      /differs from its mac_address/,
    ],
    [
      'an upper-case MAC',
      broken(
        /mac_address = "aa:bb:cc:dd:ee:ff"\n {12}query/,
        'mac_address = "AA:BB:CC:DD:EE:FF"\n            query',
      ),
      /is not lower-case with colons/,
    ],
    [
      'a MAC with dashes',
      broken(
        /mac_address = "aa:bb:cc:dd:ee:ff"\n {12}services/,
        'mac_address = "aa-bb-cc-dd-ee-ff"\n            services',
      ),
      /is not lower-case with colons/,
    ],
    [
      'a public hostname outside the zone',
      broken(
        'public_hostname = "media.example.com"\n                    local',
        'public_hostname = "media.example.org"\n                    local',
      ),
      /not inside the zone example\.com/,
    ],
    [
      'a look-alike public hostname ending in the zone text',
      broken(
        'public_hostname = "media.example.com"\n        }',
        'public_hostname = "mediaexample.com"\n        }',
      ),
      /not inside the zone/,
    ],
    [
      'a local service URL outside the internal domain',
      broken(
        'http://jellyfin.internal.lan:8096',
        'http://jellyfin.example.com:8096',
      ),
      /does not end with \.internal\.lan/,
    ],
    [
      'a local service URL without a port',
      broken(
        'http://jellyfin.internal.lan:8096',
        'http://jellyfin.internal.lan',
      ),
      /is not scheme:\/\/host:port/,
    ],
    [
      'a port out of range',
      broken('port = 8096', 'port = 70000'),
      /out of range/,
    ],
    [
      'a protocol the schema does not allow',
      broken('protocol = "http"', 'protocol = "udp"'),
      /must be one of http, https, tcp/,
    ],
    [
      'a boolean written as a string',
      broken('query_unifi = True', 'query_unifi = "true"'),
      /must be True or False/,
    ],
    [
      'a name used before it is defined',
      broken('devices = [_device]', 'devices = [_devices]'),
      /_devices is used before it is defined/,
    ],
    [
      'a top-level name assigned twice',
      broken('cf_output = ', 'unifi_config = 1\ncf_output = '),
      /unifi_config is assigned twice/,
    ],
    [
      'upstream defect 15: only private outputs',
      broken(
        /unifi_output = .*\ncf_output = .*\n/,
        '_unifi = unifi_gen.generate_unifi_config(unifi_config)\n_cloudflare = cf_gen.generate_cloudflare_config(cloudflare_config)\n',
      ),
      /does not export the public variable unifi_output/,
    ],
    [
      'a private output name',
      broken('unifi_output = ', '_unifi_output = '),
      /_unifi_output is private/,
    ],
    [
      'an output built with the wrong generator',
      broken(
        'unifi_gen.generate_unifi_config(unifi_config)',
        'unifi_gen.generate_cloudflare_config(unifi_config)',
      ),
      /unifi_output must be unifi_gen\.generate_unifi_config/,
    ],
    [
      'an output built from the wrong config',
      broken(
        'generate_cloudflare_config(cloudflare_config)',
        'generate_cloudflare_config(unifi_config)',
      ),
      /cf_output must be built from a CloudflareConfig/,
    ],
    [
      'an internal domain the module rejects (one-letter TLD)',
      VALID.replace(/internal\.lan/g, 'internal.l'),
      /is_valid_domain/,
    ],
    [
      'a syntax error',
      broken('cf_output = ', 'cf_output = = '),
      /unexpected =/,
    ],
  ])('rejects %s', (_name, text, message) => {
    const problems = problemsOf(text);
    expect(problems.join('\n')).toMatch(message);
  });

  it('checks the zone the caller expects, not only the one main.k declares', () => {
    expect(
      checkKclMain(VALID, { zoneName: 'example.org' }).problems.join('\n'),
    ).toMatch(/zone_name is example\.com, expected example\.org/);
  });

  it('implements the module is_valid_domain rule', () => {
    expect(
      ['internal.lan', 'a.b.cd', 'x-1.home.arpa'].map(isValidDomain),
    ).toEqual([true, true, true]);
    expect(
      ['internal', 'internal.l', '-a.lan', 'a..lan', 'a_b.lan'].map(
        isValidDomain,
      ),
    ).toEqual([false, false, false, false, false]);
  });
});

describe('the kcl.mod checker', () => {
  const MOD = `[package]\nname = "x"\n\n[dependencies]\nunifi_cloudflare_glue = { git = "https://github.com/SolomonHD/unifi-cloudflare-glue", tag = "v0.12.2" }\n`;

  it('accepts the dependency pinned at glueVersion', () => {
    expect(checkKclMod(MOD, 'v0.12.2')).toEqual([]);
  });

  it.each([
    [
      'another tag (upstream defect 6)',
      MOD,
      'v0.3.2',
      /pins tag v0\.12\.2, expected v0\.3\.2/,
    ],
    [
      'no dependency',
      MOD.replace(/^unifi_cloudflare_glue.*$/m, ''),
      'v0.12.2',
      /does not depend/,
    ],
    [
      'another repository',
      MOD.replace('SolomonHD', 'someone-else'),
      'v0.12.2',
      /git is/,
    ],
    [
      'no package section',
      MOD.replace('[package]', ''),
      'v0.12.2',
      /no \[package\]/,
    ],
  ])('rejects %s', (_name, text, version, message) => {
    expect(checkKclMod(text, version).join('\n')).toMatch(message);
  });
});
