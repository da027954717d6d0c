// The Reports pages in Chromium on a seeded fleet: Compliance, Vulnerability exposure, one CVE, Patch history
// and the Audit trail, what each shows, and screenshots light and dark.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR, SCREENSHOT_DIR.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main, newPage } from './lib.mjs';
import { consoleEnv, enrollTotp, firstLogin, takeRecoveryCodes } from './console.mjs';

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  const dir = t.env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  const shots = {};
  const shot = async (page, name) => {
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate(() => document.activeElement?.blur());
      const path = join(dir, `${name}-${scheme}.png`);
      await page.screenshot({ path, fullPage: true });
      shots[`${name}-${scheme}`] = path;
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };

  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser, { colorScheme: 'light' });
  await firstLogin(t, page, base, username, password);
  await enrollTotp(t, page);
  await takeRecoveryCodes(t, page);

  t.step('reports link');
  await page.click('#main-nav a[href="/reports/compliance"]');
  await page.waitForSelector('#compliance-percent');
  const percent = (await page.textContent('#compliance-percent')).trim();
  const hosts = await page.locator('#report-hosts tr[data-hostname]').count();
  await shot(page, 'report_compliance');

  t.step('vulnerability exposure');
  await page.goto(`${base}/reports/vulnerabilities`);
  const cves = await page.locator('#cve-table tr[data-hostname]').evaluateAll((rows) => rows.map((r) => r.dataset.hostname));
  await shot(page, 'report_vulnerabilities');
  await page.click('#cve-table a >> nth=0');
  await page.waitForSelector('#cve-hosts');
  const cveHosts = await page.locator('#cve-hosts tr[data-hostname]').count();
  await shot(page, 'report_cve');

  t.step('patch history');
  await page.goto(`${base}/reports/history`);
  await page.waitForSelector('#history-table');
  await shot(page, 'report_history');

  t.step('audit trail');
  await page.goto(`${base}/reports/audit`);
  const chain = (await page.textContent('#chain-text')).trim();
  await shot(page, 'report_audit');

  return { percent, hosts, cves, cveHosts, chain, screenshots: shots };
});
