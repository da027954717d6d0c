// Dashboard, Hosts and Host detail with a large fleet (thousands of simulated hosts polled by the real manager).
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD, TOTP_SECRET, AFTER_STEP (a TOTP step already used), SEARCH (a host
// name to find), SCREENSHOT_DIR, OUT_DIR. Returns what the pages show; the Rust side compares it with the
// database and with what the agents report.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main, newPage } from './lib.mjs';
import { consoleEnv, loginWithTotp, setTheme } from './console.mjs';

const num = async (page, sel) => {
  const text = (await page.textContent(sel)) ?? '';
  const m = text.replace(/[,\s]/g, '').match(/-?\d+(\.\d+)?/);
  if (!m) throw new Error(`${sel} shows no number: ${JSON.stringify(text)}`);
  return Number(m[0]);
};

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  const secret = t.env('TOTP_SECRET');
  const afterStep = Number(t.env('AFTER_STEP'));
  const search = t.env('SEARCH');
  const dir = t.env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  const shot = async (page, name) => {
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: name !== 'fleet-hosts' });
  };

  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser, { colorScheme: 'light', width: 1440, height: 1000 });
  await loginWithTotp(t, page, base, username, password, secret, afterStep);
  await setTheme(t, page, 'light');

  t.step('dashboard');
  let started = Date.now();
  await page.goto(`${base}/`);
  await page.waitForSelector('#compliance');
  const dashboardMs = Date.now() - started;
  if ((await page.locator('#states svg, #compliance svg').count()) === 0) throw new Error('no inline SVG chart on the dashboard');
  const dashboard = {
    hosts: await num(page, '#host-count'),
    compliance: await num(page, '#compliance-percent'),
    compliant: await num(page, '#compliant-count'),
    healthy: await num(page, '#count-healthy'),
    degraded: await num(page, '#count-degraded'),
    unreachable: await num(page, '#count-unreachable'),
    unknown: await num(page, '#count-unknown'),
    reboot: await num(page, '#reboot-count'),
    alerts: await num(page, '#alert-count'),
    pending_security: await num(page, '#pending-security'),
    ca_link: await page.locator('a[href="/ca.pem"]').count(),
  };
  await shot(page, 'fleet-dashboard-light');
  await setTheme(t, page, 'dark');
  await page.goto(`${base}/`);
  await page.waitForSelector('#compliance');
  await shot(page, 'fleet-dashboard-dark');
  await setTheme(t, page, 'light');

  t.step('hosts: the whole fleet in one table');
  started = Date.now();
  await page.goto(`${base}/hosts`);
  await page.waitForSelector('#hosts-table');
  const hostsMs = Date.now() - started;
  const rows = await page.locator('#hosts-table tbody tr').count();
  await shot(page, 'fleet-hosts');

  t.step('hosts: filter by state unreachable');
  await page.selectOption('#f-state', 'unreachable');
  await page.click('#host-filter-submit');
  await page.waitForURL((u) => u.searchParams.get('state') === 'unreachable');
  await page.waitForSelector('#hosts-table');
  const unreachableRows = await page.locator('#hosts-table tbody tr').count();

  t.step('hosts: text search');
  await page.goto(`${base}/hosts`);
  await page.fill('#f-q', search);
  await page.click('#host-filter-submit');
  await page.waitForURL((u) => u.searchParams.get('q') === search);
  const searchRows = await page.locator('#hosts-table tbody tr').count();

  t.step('host detail');
  await page.locator('#hosts-table tbody tr a[href^="/hosts/"]').first().click();
  await page.waitForURL((u) => /^\/hosts\/\d+$/.test(u.pathname));
  await page.waitForLoadState('networkidle');
  await shot(page, 'fleet-host-detail');
  t.step('host detail: installed packages, fetched live from the agent');
  await page.click('#host-packages summary');
  await page.waitForSelector('#host-packages table', { timeout: 30_000 });
  const packageRows = await page.locator('#host-packages table tbody tr').count();
  const detailText = await page.textContent('#content');

  return { dashboard, rows, unreachableRows, searchRows, dashboardMs, hostsMs, packageRows, detailHost: detailText.match(/sim-\d+/)?.[0] };
});
