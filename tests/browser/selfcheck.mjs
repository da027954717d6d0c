// Proves the kit without the manager: a throwaway CA is trusted (and only when imported) and WebAuthn works there.
//
// Makes a CA + localhost certificate with openssl, serves a page over node's https on 127.0.0.1, then
// (1) a browser without the CA gets a certificate error, (2) a browser trusting it loads the page with no
// ignoreHTTPSErrors, and navigator.credentials.create + get succeed against a CDP virtual authenticator.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, newPage, virtualAuthenticator } from './lib.mjs';

const PAGE = `<!doctype html><html><head><title>kit</title></head><body><p id="hello">hello</p></body></html>`;

main(async (t) => {
  t.step('make CA');
  const dir = mkdtempSync(join(tmpdir(), 'lpm-kit-ca-'));
  const ossl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=lpm kit selfcheck CA', '-keyout', 'ca.key', '-out', 'ca.pem',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
      '-keyout', 'leaf.key', '-out', 'leaf.csr']);
    writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n'
      + 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-out', 'leaf.pem', '-extfile', 'leaf.ext']);

    t.step('serve');
    const server = createServer({ key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.pem')) },
      (req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE); });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://localhost:${server.address().port}/`;
    try {
      t.step('untrusted browser gets a certificate error');
      const plain = await t.launch({});
      const p0 = await newPage(plain);
      const untrusted = await p0.goto(url).then(() => 'loaded', (e) => e.message);
      if (!/ERR_CERT_AUTHORITY_INVALID/.test(untrusted)) {
        throw new Error(`without the CA the page should fail with ERR_CERT_AUTHORITY_INVALID, got: ${untrusted}`);
      }
      await plain.close();

      t.step('trusted browser loads the page');
      const browser = await t.launch({ caPem: join(dir, 'ca.pem') });
      const page = await newPage(browser);
      await page.goto(url);
      if ((await page.textContent('#hello')) !== 'hello') throw new Error('page content missing');

      t.step('WebAuthn create + get on a virtual authenticator');
      const auth = await virtualAuthenticator(page);
      const made = await page.evaluate(async () => {
        const cred = await navigator.credentials.create({ publicKey: {
          rp: { name: 'kit', id: 'localhost' },
          user: { id: new Uint8Array([1, 2, 3, 4]), name: 'kit', displayName: 'kit' },
          challenge: crypto.getRandomValues(new Uint8Array(32)),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        } });
        const got = await navigator.credentials.get({ publicKey: {
          challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: 'localhost', userVerification: 'required',
          allowCredentials: [{ type: 'public-key', id: cred.rawId }],
        } });
        return { created: cred.id, asserted: got.id, secure: window.isSecureContext };
      });
      if (made.created !== made.asserted) throw new Error(`assertion used another credential: ${JSON.stringify(made)}`);
      const stored = await auth.credentials();

      t.step('a cleared authenticator cannot answer');
      await auth.clear();
      const after = await page.evaluate(async (id) => {
        const raw = Uint8Array.from(atob(id.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        try {
          await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(32), rpId: 'localhost', timeout: 3000,
            allowCredentials: [{ type: 'public-key', id: raw }] } });
          return 'succeeded';
        } catch (e) { return e.name; }
      }, made.created);
      if (after === 'succeeded') throw new Error('get() succeeded after the credential was removed');
      return { url, untrusted: 'ERR_CERT_AUTHORITY_INVALID', webauthn: made, stored: stored.length, after_clear: after };
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
