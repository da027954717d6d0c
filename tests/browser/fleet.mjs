// Dashboard, Hosts and Host detail with a large fleet (thousands of simulated hosts polled by the real manager).
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD, TOTP_SECRET, AFTER_STEP (a TOTP step already used), SEARCH (a host
// name to find), SCREENSHOT_DIR, OUT_DIR. Returns what the pages show (the Hosts pages walked with Next); the Rust side compares it with the
// database and with what the agents report.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main, newPage } from './lib.mjs';
import { consoleEnv, loginWithTotp, setTheme } from './console.mjs';

// Every host name on the Hosts pages from the one shown on, following "Next" (the URL keeps the filters).
const walkRows = async (page) => {
  const names = [];
  let pages = 0;
  for (;;) {
    await page.waitForSelector('#hosts-table');
    pages += 1;
    names.push(...await page.locator('#hosts-table tbody tr[data-hostname]').evaluateAll((rows) => rows.map((r) => r.dataset.hostname)));
    const next = page.locator('#page-next');
    if ((await next.count()) === 0) break;
    if (pages > 1000) throw new Error('the Next links never end');
    const before = page.url();
    await next.click();
    await page.waitForURL((u) => u.href !== before);
  }
  return { names, pages };
};

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

  t.step('hosts: the first page');
  started = Date.now();
  await page.goto(`${base}/hosts`);
  await page.waitForSelector('#hosts-table');
  const hostsMs = Date.now() - started;
  const firstPageRows = await page.locator('#hosts-table tbody tr[data-hostname]').count();
  const hostCount = await num(page, '#host-count');
  const firstPageBytes = (await page.content()).length;
  await shot(page, 'fleet-hosts');

  t.step('hosts: every page, following Next');
  const all = await walkRows(page);
  const firstAgain = page.locator('#page-first');
  const hasFirst = (await firstAgain.count()) > 0;
  if (hasFirst) {
    await firstAgain.click();
    await page.waitForURL((u) => !u.searchParams.has('after'));
  }

  t.step('hosts: filter by state unreachable, every page');
  await page.goto(`${base}/hosts`);
  await page.selectOption('#f-state', 'unreachable');
  await page.click('#host-filter-submit');
  await page.waitForURL((u) => u.searchParams.get('state') === 'unreachable');
  const unreachable = await walkRows(page);
  const unreachableCount = await num(page, '#host-count');

  t.step('hosts: text search');
  await page.goto(`${base}/hosts`);
  await page.fill('#f-q', search);
  await page.click('#host-filter-submit');
  await page.waitForURL((u) => u.searchParams.get('q') === search);
  const searchRows = await page.locator('#hosts-table tbody tr[data-hostname]').count();

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

  return {
    dashboard, rows: all.names.length, uniqueRows: new Set(all.names).size,
    names: all.names, pages: all.pages, hasFirst, firstPageRows,
    hostCount, firstPageBytes, unreachableRows: unreachable.names.length, unreachableCount, searchRows, dashboardMs,
    hostsMs, packageRows, detailHost: detailText.match(/sim-\d+/)?.[0] };
});
