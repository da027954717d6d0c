// The four deployment pages in Chromium on a seeded fleet: Patch Deployment review, Jobs, Deployment detail
// and Maintenance Windows, what each shows, and screenshots light and dark.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR, SCREENSHOT_DIR,
// REVIEW_QUERY (`host=1&host=2...` for the review page), DEPLOYMENT_ID (the deployment whose detail is shown).
import { mkdirSync } from 'node:fs';
import { main, newPage, shootBoth } from './lib.mjs';
import { consoleEnv, enrollTotp, firstLogin, takeRecoveryCodes } from './console.mjs';

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  const dir = t.env('SCREENSHOT_DIR');
  const reviewQuery = t.env('REVIEW_QUERY');
  const deploymentId = t.env('DEPLOYMENT_ID');
  mkdirSync(dir, { recursive: true });
  const shots = {};
  const shot = (page, name) => shootBoth(page, dir, name, shots);

  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser, { colorScheme: 'light' });
  await firstLogin(t, page, base, username, password);
  await enrollTotp(t, page);
  await takeRecoveryCodes(t, page);

  t.step('patch deployment review');
  await page.goto(`${base}/deployments/new?${reviewQuery}`);
  await page.waitForSelector('#pending-table');
  const review = {};
  for (const row of await page.locator('#pending-table tbody tr[data-package]').all()) {
    const name = await row.getAttribute('data-package');
    review[name] = (await row.locator('td').nth(2).textContent()).trim();
  }
  await shot(page, 'deploy_new');

  t.step('jobs');
  await page.goto(`${base}/deployments`);
  const jobs = await page.locator('tr[data-deployment]').evaluateAll(
    (rows) => rows.map((r) => [r.dataset.deployment, r.dataset.status]),
  );
  await shot(page, 'jobs');

  t.step('deployment detail');
  await page.goto(`${base}/deployments/${deploymentId}`);
  await page.waitForSelector('tr[data-target]');
  const states = await page.locator('tr[data-target]').evaluateAll((rows) => rows.map((r) => r.dataset.state));
  await shot(page, 'deployment');

  t.step('maintenance windows');
  await page.goto(`${base}/windows`);
  const windows = await page.locator('tr[data-window]').count();
  await shot(page, 'windows');

  return { review, jobs, states, windows, screenshots: shots };
});
