// Console theme: #theme-toggle flips data-theme light/dark, remembered per user across logout/login.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR. Logins after the
// first use recovery codes, so the test does not wait for TOTP steps.
import { main, newPage } from './lib.mjs';
import {
  consoleEnv, createUser, enrollTotp, expectSignedIn, firstLogin, loginWithRecovery, logout, NEW_PASSWORD,
  setTheme, takeRecoveryCodes, theme, toggleTheme,
} from './console.mjs';

const other = (v) => (v === 'dark' ? 'light' : 'dark');

function expectTheme(got, want, what) {
  if (got !== want) throw new Error(`${what}: data-theme=${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser);

  await firstLogin(t, page, base, username, password);
  await enrollTotp(t, page);
  const adminCodes = await takeRecoveryCodes(t, page);
  const initial = await theme(page);
  if (!['system', 'light', 'dark'].includes(initial)) throw new Error(`initial data-theme=${JSON.stringify(initial)}`);

  const a = await toggleTheme(t, page);
  const b = await toggleTheme(t, page);
  expectTheme(b, other(a), 'a second toggle');
  const adminTheme = await toggleTheme(t, page);
  expectTheme(adminTheme, a, 'a third toggle');
  t.step('theme survives a reload');
  await page.goto(`${base}/hosts`);
  expectTheme(await theme(page), adminTheme, 'after loading /hosts');

  const operator = 'theme-operator';
  const operatorOtp = await createUser(t, page, base, operator, 'operator');
  await logout(t, page, base);

  await loginWithRecovery(t, page, base, username, NEW_PASSWORD, adminCodes[0]);
  expectTheme(await theme(page), adminTheme, 'admin after logout + login');
  await setTheme(t, page, other(adminTheme));
  const adminFinal = other(adminTheme);
  await logout(t, page, base);

  await firstLogin(t, page, base, operator, operatorOtp);
  await enrollTotp(t, page);
  const operatorCodes = await takeRecoveryCodes(t, page, { admin: false });
  expectTheme(await theme(page), initial, "a new operator's theme (not the admin's)");
  const operatorFinal = other(adminFinal);
  await setTheme(t, page, operatorFinal);
  await logout(t, page, base);

  await loginWithRecovery(t, page, base, username, NEW_PASSWORD, adminCodes[1]);
  expectTheme(await theme(page), adminFinal, "admin's theme after the operator changed theirs");
  await logout(t, page, base);

  await loginWithRecovery(t, page, base, operator, NEW_PASSWORD, operatorCodes[0], { admin: false });
  expectTheme(await theme(page), operatorFinal, "operator's theme after logout + login");
  await logout(t, page, base);

  return { initial, admin: adminFinal, operator: operatorFinal };
});
