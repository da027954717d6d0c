// Dashboard, Hosts and Host detail in Chromium on a seeded fleet: numbers, SVG charts in both themes, the
// filter form, select-all + bulk "Add to group", the live packages <details>, screenshots light and dark.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR, SCREENSHOT_DIR,
// HOST_ID (the host whose detail page is opened).
import { mkdirSync } from 'node:fs';
import { main, newPage, shootBoth } from './lib.mjs';
import { consoleEnv, enrollTotp, firstLogin, takeRecoveryCodes } from './console.mjs';

const rowNames = (page) => page.locator('#hosts-table tbody tr[data-hostname]').evaluateAll(
  (rows) => rows.map((r) => r.dataset.hostname),
);

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  const dir = t.env('SCREENSHOT_DIR');
  const hostId = t.env('HOST_ID');
  mkdirSync(dir, { recursive: true });
  const shots = {};
  const shot = (page, name) => shootBoth(page, dir, name, shots);

  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser, { colorScheme: 'light' });
  await firstLogin(t, page, base, username, password);
  await enrollTotp(t, page);
  await takeRecoveryCodes(t, page);

  t.step('dashboard');
  await page.goto(`${base}/`);
  const num = async (id) => (await page.textContent(`#${id}`)).trim();
  const dashboard = {};
  for (const id of ['compliance-percent', 'host-count', 'count-healthy', 'count-degraded', 'count-unreachable',
    'count-unknown', 'sev-critical', 'reboot-count', 'alert-count']) {
    dashboard[id] = await num(id);
  }
  const donut = await page.locator('svg.chart.donut').boundingBox();
  const bars = await page.locator('svg.chart.bars').boundingBox();
  if (!donut || donut.width < 50 || !bars || bars.width < 50) throw new Error(`charts not drawn: ${JSON.stringify({ donut, bars })}`);
  const segStroke = () => page.locator('svg.chart.donut circle.seg.st-healthy').evaluate((e) => getComputedStyle(e).stroke);
  const textFill = () => page.locator('svg.chart.donut .donut-total').evaluate((e) => getComputedStyle(e).fill);
  const light = { seg: await segStroke(), text: await textFill() };
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = { seg: await segStroke(), text: await textFill() };
  await page.emulateMedia({ colorScheme: 'light' });
  if (light.text === dark.text) throw new Error(`chart text has the same colour in both themes: ${light.text}`);
  await shot(page, 'dashboard');

  t.step('hosts: filter form');
  await page.click('#main-nav a[href="/hosts"]');
  await page.waitForSelector('#hosts-table');
  const all = await rowNames(page);
  await page.selectOption('#f-state', 'healthy');
  await page.click('#host-filter-submit');
  await page.waitForURL((u) => u.searchParams.get('state') === 'healthy');
  const healthy = await rowNames(page);

  t.step('hosts: select all, add to group');
  await page.goto(`${base}/hosts?group=none`);
  await page.check('#select-all');
  const ticked = await page.locator('#hosts-table input[name="ids"]:checked').count();
  await page.selectOption('#bulk-group', { label: 'web' });
  await page.click('#bulk-add-group');
  await page.waitForSelector('p.notice[role="status"]');
  const notice = (await page.textContent('p.notice[role="status"]')).trim();
  const afterUrl = new URL(page.url());
  const stillUngrouped = await rowNames(page);
  await page.goto(`${base}/hosts`);
  await shot(page, 'hosts');

  t.step('host detail: live packages');
  await page.goto(`${base}/hosts/${hostId}`);
  await page.click('#host-packages summary');
  await page.waitForSelector('#host-packages #packages-unavailable, #host-packages #package-count', { timeout: 30_000 });
  const packages = (await page.textContent('#host-packages .fragment')).trim();
  await shot(page, 'host');

  return {
    dashboard, light, dark, all, healthy, ticked, notice, after: afterUrl.pathname + afterUrl.search,
    stillUngrouped, packages, screenshots: shots,
  };
});
