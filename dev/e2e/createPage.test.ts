/**
 * The Create page in a real browser: for each template, fill the form as a person would, with two
 * devices (the second one added with the list's add button, with two MAC addresses, an alias and
 * an https service whose certificate the tunnel does not check), see the form refuse a bad zone
 * and a bad MAC address in sentences (no pattern text anywhere on the page), paste the
 * controller's URL into the host field and other values with blanks around them, see the run
 * refuse a public hostname outside the zone (a cross-field rule only the render action checks),
 * fix it, review, create, watch the task finish, and check the local git repository (normalised
 * values in its answers file, both devices and their tunnels in kcl/main.k) and the catalog
 * entity it produced.
 *
 * Run with `npm run test:browser`. Needs Debian's chromium at /usr/bin/chromium (or
 * CHROMIUM_PATH). Screenshots of every page go to artifacts/browser/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Browser, chromium, Locator, Page } from 'playwright-core';
import { parse } from 'yaml';
import { kitManifest } from '../../plugins/scaffolder-backend-module-environments/src/kits/manifest';
import { ARTIFACTS, Stack, startStack } from './stack';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

type Environment = 'development' | 'staging' | 'production';

interface Case {
  environment: Environment;
  name: string;
  system?: string;
}

const CASES: Case[] = [
  { environment: 'development', name: 'browser-dev' },
  { environment: 'staging', name: 'browser-staging', system: 'home-network' },
  { environment: 'production', name: 'browser-prod', system: 'home-network' },
];

const timings: string[] = [];

/** What a regular expression or a raw JSON Schema (ajv, jsonschema) message looks like on the page. */
const PATTERN_TEXT =
  /must match|does not match|must be equal to|must NOT|subschema|exactly one schema|\^\(|\(\?[:!=]|\[0-9|\[a-z|\{0,\d|\\\./;

/** The page's text holds no pattern and no raw schema message. */
async function assertNoPatternText(page: Page, where: string) {
  const text = await page.locator('body').innerText();
  const found = PATTERN_TEXT.exec(text);
  assert.equal(
    found,
    null,
    `${where}: the page shows pattern text ${JSON.stringify(found?.[0])} in ${JSON.stringify(text.slice(Math.max(0, (found?.index ?? 0) - 80), (found?.index ?? 0) + 80))}`,
  );
}

/**
 * The add button of a list on the form, by the list's id (`root_devices_1_macAddresses`). rjsf's
 * Material UI theme draws a list as a Paper holding its title, its entries and, last, its own add
 * button: the innermost Paper around the title is the list's, and the last add button in it is
 * its own (those of lists inside its entries come before).
 */
function addButton(page: Page, list: string): Locator {
  return page
    .locator('.MuiPaper-root', { has: page.locator(`#${list}__title`) })
    .last()
    .locator('button.array-item-add')
    .last();
}

/** What the answers file records for the two devices the form is filled with. */
function expectedDevices(publicHostname: string) {
  return [
    {
      hostname: 'media-server',
      macAddresses: ['aa:bb:cc:dd:ee:ff'],
      services: [
        {
          name: 'jellyfin',
          port: 8096,
          protocol: 'http',
          distribution: 'both',
          publicHostname,
          noTlsVerify: false,
        },
      ],
    },
    {
      hostname: 'nas',
      macAddresses: ['aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:02'],
      aliases: ['storage'],
      services: [
        {
          name: 'nas-admin',
          port: 5001,
          protocol: 'https',
          distribution: 'both',
          publicHostname: 'nas.example.com',
          noTlsVerify: true,
        },
      ],
    },
  ];
}

describe('the Create page in Chromium', { concurrency: false }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let shot = 0;

  async function screenshot(label: string) {
    shot++;
    await page.screenshot({
      path: path.join(
        ARTIFACTS,
        `${String(shot).padStart(2, '0')}-${label}.png`,
      ),
      fullPage: true,
    });
  }

  before(async () => {
    await rm(ARTIFACTS, { recursive: true, force: true });
    stack = await startStack();
    timings.push(`app and backend up in ${stack.startSeconds.toFixed(1)} s`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
  });

  after(async () => {
    await browser?.close();
    const restarts = stack?.restarts() ?? 0;
    await stack?.stop();
    for (const line of timings) console.log(`# ${line}`);
    if (restarts > 0)
      console.log(
        `# the backend restarted ${restarts} time(s) during the run because files of the package changed (see artifacts/browser/stack.log); a restart ends running tasks and empties the catalog, so rerun on a quiet tree`,
      );
  });

  it('signs in as guest and lists the four templates on the Create page', async () => {
    const started = performance.now();
    await page.goto(`${stack.appUrl}/create`, { timeout: 180_000 });
    const enter = page.getByRole('button', { name: 'Enter' });
    await enter.waitFor({ timeout: 180_000 });
    await screenshot('sign-in');
    await enter.click();
    for (const environment of ['development', 'staging', 'production']) {
      await page
        .getByText(`UniFi/Cloudflare ${environment} environment`, {
          exact: true,
        })
        .waitFor();
    }
    await page.getByText('Upgrade an environment', { exact: true }).waitFor();
    await screenshot('create-page');
    timings.push(
      `first page load, sign-in and template list in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  for (const c of CASES) {
    it(`creates a ${c.environment} environment in a local repository and registers it`, async () => {
      const started = performance.now();
      const env = c.environment;
      const next = () => page.getByRole('button', { name: 'Next' }).click();

      // Choose the template on the Create page.
      await page.goto(`${stack.appUrl}/create`);
      const card = page.locator('.MuiCard-root', {
        hasText: `UniFi/Cloudflare ${env} environment`,
      });
      await card.getByRole('button', { name: /choose/i }).click();
      await page.locator('#root_name').waitFor();

      // Page 1: about the environment.
      await page.locator('#root_name').fill(c.name);
      await page
        .locator('#root_description')
        .fill(`Browser test of the ${env} template`);
      await page.locator('#root_owner').click();
      await page.locator('#root_owner').fill('platform');
      await page.getByRole('option', { name: 'Platform team' }).click();
      if (c.system) {
        await page.locator('#root_system').click();
        await page.locator('#root_system').fill('home');
        await page.getByRole('option', { name: c.system }).click();
      }
      await screenshot(`${env}-about`);
      await next();

      // Page 2: a zone with a capital letter is refused by the form, in a sentence with an example.
      // The controller's address is pasted as the browser shows it; the account ID with blanks.
      await page.locator('#root_zoneName').fill('Example.com');
      await page
        .locator('#root_cloudflareAccountId')
        .fill(' 0123456789abcdef0123456789abcdef ');
      await page.locator('#root_unifiHost').fill('https://10.20.0.1:8443');
      await next();
      await page
        .getByText(
          /must be a lower-case DNS name .*, for example "example\.com"/,
        )
        .first()
        .waitFor();
      await screenshot(`${env}-zone-error`);
      assert.match(
        await page.locator('body').innerText(),
        /'Cloudflare zone' must be a lower-case DNS name/,
      );
      await assertNoPatternText(page, `${env}: zone error`);
      await page.locator('#root_zoneName').fill(' example.com\t');
      await next();

      // Page 3, two devices. The first: a MAC address with five parts is refused by the form, and
      // so is skipping the TLS check of an http service (a rule across the fields of a service),
      // each in a sentence.
      await page.locator('#root_devices_0_hostname').fill('media-server');
      await page
        .locator('#root_devices_0_macAddresses_0')
        .fill('aa:bb:cc:dd:ee');
      await page.locator('#root_devices_0_services_0_name').fill('jellyfin');
      await page.locator('#root_devices_0_services_0_port').fill('8096');
      // Passes the hostname pattern, but lies outside the zone: only the render action sees it.
      await page
        .locator('#root_devices_0_services_0_publicHostname')
        .fill('media.example.org');
      await page.locator('#root_devices_0_services_0_noTlsVerify').check();
      // The second device, added with the devices list's button: two network interfaces written
      // in two other notations (one pasted with blanks), an alias, and an https admin page with a
      // self-signed certificate, so the tunnel skips its TLS check.
      await addButton(page, 'root_devices').click();
      await page.locator('#root_devices_1_hostname').fill('nas');
      await page
        .locator('#root_devices_1_macAddresses_0')
        .fill(' AA-BB-CC-00-00-01 ');
      await addButton(page, 'root_devices_1_macAddresses').click();
      await page
        .locator('#root_devices_1_macAddresses_1')
        .fill('aabb.cc00.0002');
      await addButton(page, 'root_devices_1_aliases').click();
      await page.locator('#root_devices_1_aliases_0').fill('storage');
      await page.locator('#root_devices_1_services_0_name').fill('nas-admin');
      await page.locator('#root_devices_1_services_0_port').fill('5001');
      await page.locator('#root_devices_1_services_0_protocol').click();
      await page.getByRole('option', { name: 'https', exact: true }).click();
      await page
        .locator('#root_devices_1_services_0_publicHostname')
        .fill('nas.example.com');
      await page.locator('#root_devices_1_services_0_noTlsVerify').check();
      await next();
      await page
        .getByText(/must be a MAC address .*, for example "aa:bb:cc:dd:ee:ff"/)
        .first()
        .waitFor();
      await page
        .getByText(
          /skips the TLS check of its origin, which only an https service .* has/,
        )
        .first()
        .waitFor();
      await screenshot(`${env}-mac-error`);
      await assertNoPatternText(page, `${env}: MAC and TLS errors`);
      await page.locator('#root_devices_0_services_0_noTlsVerify').uncheck();
      // Cisco's notation, upper case: saved lower-case with colons.
      await page
        .locator('#root_devices_0_macAddresses_0')
        .fill('AABB.CCDD.EEFF');
      await screenshot(`${env}-devices`);
      await next();

      if (env !== 'development') {
        await page.locator('#root_stateBucket').fill('acme-terraform-state');
        await page.locator('#root_stateRegion').fill('eu-central-1');
        if (env === 'production')
          await page
            .locator('#root_dynamodbTable')
            .fill('terraform-state-locks');
        await screenshot(`${env}-state`);
        await next();
      }
      if (env === 'production') {
        await page.locator('#root_vault').fill('Infrastructure');
        await screenshot(`${env}-secrets`);
        await next();
      }

      // Repository page: GitHub asks for the repository; a local repository does not.
      await page.getByText('Repository location').first().waitFor();
      await screenshot(`${env}-repository-github`);
      await page.getByLabel(/A local git repository/).check();
      await page
        .getByText('Repository location')
        .first()
        .waitFor({ state: 'detached' });
      await screenshot(`${env}-repository-local`);
      await page.getByRole('button', { name: 'Review' }).click();

      // Review, create: the render step refuses the hostname outside the zone.
      await page.getByRole('button', { name: 'Create' }).waitFor();
      assert.match(await page.locator('body').innerText(), new RegExp(c.name));
      await screenshot(`${env}-review`);
      await page.getByRole('button', { name: 'Create' }).click();
      await page
        .getByText(/must lie inside the zone example\.com/)
        .first()
        .waitFor();
      await screenshot(`${env}-task-failed-hostname-outside-zone`);

      // Start over: the form comes back filled in; fix the hostname and create again.
      await page.getByTestId('start-over-button').click();
      await page.locator('#root_name').waitFor();
      assert.equal(await page.locator('#root_name').inputValue(), c.name);
      await next();
      await next();
      assert.equal(
        await page
          .locator('#root_devices_0_services_0_publicHostname')
          .inputValue(),
        'media.example.org',
      );
      assert.equal(
        await page.locator('#root_devices_1_macAddresses_1').inputValue(),
        'aabb.cc00.0002',
      );
      await page
        .locator('#root_devices_0_services_0_publicHostname')
        .fill('media.example.com');
      await next();
      if (env !== 'development') await next();
      if (env === 'production') await next();
      assert.equal(
        await page.getByLabel(/A local git repository/).isChecked(),
        true,
      );
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Create' }).click();

      // The task finishes: links to the local repository and the catalog entity.
      const openInCatalog = page.getByRole('link', { name: 'Open in catalog' });
      await openInCatalog.waitFor({ timeout: 120_000 });
      const cloneLink = page.getByRole('link', {
        name: 'Local repository (git clone URL)',
      });
      const repository = path.join(stack.repositories, c.name);
      assert.equal(
        await cloneLink.getAttribute('href'),
        `file://${repository}`,
      );
      assert.equal(
        await page
          .getByRole('link', { name: 'Repository', exact: true })
          .count(),
        0,
      );
      await screenshot(`${env}-task-completed`);

      // The repository on disk: one commit on main by the signed-in user, the whole kit.
      const git = (...args: string[]) =>
        run('git', ['-C', repository, ...args]).then(r => r.stdout.trim());
      assert.equal(await git('symbolic-ref', '--short', 'HEAD'), 'main');
      assert.equal(
        await git('log', '--format=%an <%ae>|%s', 'main'),
        `Guest Developer <guest@example.com>|Create the ${env} environment ${c.name}`,
      );
      const files = (await git('ls-tree', '-r', '--name-only', 'main'))
        .split('\n')
        .sort();
      assert.deepEqual(files, kitManifest[env].map(f => f.path).sort());
      const modes = await git('ls-tree', '-r', 'main');
      for (const file of kitManifest[env]) {
        const mode = file.mode === 0o755 ? '100755' : '100644';
        assert.match(
          modes,
          new RegExp(
            `^${mode} blob \\w+\\t${file.path.replace(/\./g, '\\.')}$`,
            'm',
          ),
        );
      }
      assert.equal(await git('status', '--porcelain'), '');
      const answers = parse(
        await git('show', 'main:.environment-answers.yaml'),
      ).values;
      assert.equal(answers.publishTarget, 'local');
      // The pasted controller URL became host and port; the blanks around values are gone, and
      // every MAC address is written lower-case with colons.
      assert.equal(answers.unifiHost, '10.20.0.1');
      assert.equal(answers.unifiPort, 8443);
      assert.equal(answers.zoneName, 'example.com');
      assert.equal(
        answers.cloudflareAccountId,
        '0123456789abcdef0123456789abcdef',
      );
      assert.deepEqual(answers.devices, expectedDevices('media.example.com'));

      // kcl/main.k: one UniFi entity per device with an endpoint per MAC address and the alias,
      // and one tunnel per device, keyed by its first MAC address.
      const mainK = await git('show', 'main:kcl/main.k');
      const entities = mainK.split('unifi.UniFiEntity {').slice(1);
      assert.equal(entities.length, 2, mainK);
      assert.match(entities[0], /friendly_hostname = "media-server"/);
      assert.match(entities[0], /mac_address = "aa:bb:cc:dd:ee:ff"/);
      assert.match(entities[1], /friendly_hostname = "nas"/);
      assert.match(entities[1], /mac_address = "aa:bb:cc:00:00:01"/);
      assert.match(entities[1], /mac_address = "aa:bb:cc:00:00:02"/);
      assert.match(entities[1], /"storage\.internal\.lan"/);
      const tunnels = mainK.split('cloudflare.CloudflareTunnel {').slice(1);
      assert.equal(tunnels.length, 2, mainK);
      assert.match(
        mainK,
        new RegExp(
          `"aa:bb:cc:dd:ee:ff": cloudflare\\.CloudflareTunnel \\{\\s*tunnel_name = "${c.name}-media-server"`,
        ),
      );
      assert.match(
        mainK,
        new RegExp(
          `"aa:bb:cc:00:00:01": cloudflare\\.CloudflareTunnel \\{\\s*tunnel_name = "${c.name}-nas"`,
        ),
      );
      assert.match(tunnels[1], /no_tls_verify = True/);
      // Development skips every origin's check by default (skipTlsVerify); the others only the
      // one chosen in the form.
      assert.match(
        tunnels[0],
        env === 'development'
          ? /no_tls_verify = True/
          : /no_tls_verify = False/,
      );

      // The entity in the catalog, through the API and on its page. The catalog ingests a new
      // location in the background, so it may take a few processing rounds to appear.
      let found = await stack.api(
        `/api/catalog/entities/by-name/resource/default/${c.name}`,
      );
      for (let attempt = 0; found.status === 404 && attempt < 60; attempt++) {
        await new Promise(resolve => setTimeout(resolve, 500));
        found = await stack.api(
          `/api/catalog/entities/by-name/resource/default/${c.name}`,
        );
      }
      const { status, body: entity } = found;
      assert.equal(status, 200);
      assert.equal(entity.spec.type, 'environment');
      assert.equal(entity.spec.owner, 'group:default/platform-team');
      if (c.system)
        assert.equal(entity.spec.system, `system:default/${c.system}`);
      assert.equal(
        entity.metadata.annotations[
          'unifi-cloudflare-glue.io/environment-tier'
        ],
        env,
      );
      assert.equal(
        entity.metadata.annotations['backstage.io/managed-by-location'],
        `file:${repository}/catalog-info.yaml`,
      );
      await openInCatalog.click();
      await page
        .getByRole('heading', { name: new RegExp(c.name) })
        .first()
        .waitFor();
      await page
        .getByText(`Browser test of the ${env} template`)
        .first()
        .waitFor();
      await screenshot(`${env}-catalog-entity`);
      timings.push(
        `${env}: form, failed run, fixed run and checks in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    });
  }
});
