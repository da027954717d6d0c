// The Reports pages in Chromium on a seeded fleet: Compliance, Vulnerability exposure, one CVE, Patch history
// and the Audit trail, what each shows, and screenshots light and dark.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR, SCREENSHOT_DIR.
import { main } from './lib.mjs';
import { adminSession } from './console.mjs';

main(async (t) => {
  const { base, page, shot, shots } = await adminSession(t);

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
