//! A real OIDC provider shaped like Entra ID (`tests/oidc/entra.mjs`, panva's oidc-provider) over HTTPS with a
//! test-kit certificate, and a cookie-keeping client that signs in at its login page like a browser.

use crate::certs::{Ca, Leaf};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The tenant GUID of the test provider (its issuer is `https://localhost:PORT/<TENANT>/v2.0`).
pub const TENANT: &str = "7e57c0de-0000-4000-8000-00000000abcd";
/// The registered client id.
pub const CLIENT_ID: &str = "c1e47000-0000-4000-8000-000000000001";
/// Its secret.
pub const CLIENT_SECRET: &str = "a-test-client-secret";
/// The Entra group the provider puts `gina` in.
pub const G_OPS: &str = "0c0ffee0-0000-4000-8000-000000000001";

/// The directory of the provider's node package.
pub fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// A running provider (killed on drop).
#[derive(Debug)]
pub struct EntraProvider {
    child: Child,
    /// Its port on 127.0.0.1 (name `localhost`).
    pub port: u16,
    /// The CA of its certificate (PEM file), for the manager's `sso.ca_file`.
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl EntraProvider {
    /// Starts the provider for `redirect_uri`; panics saying how to install it when `npm ci` was not run.
    pub fn start(redirect_uri: &str) -> Self {
        let marker = oidc_dir().join("node_modules/oidc-provider/package.json");
        assert!(
            marker.exists(),
            "{} missing: run `npm ci` in tests/oidc (scripts/install-prereqs.sh does)",
            marker.display()
        );
        let dir = tempfile::Builder::new().prefix("lpm-oidc-").tempdir().unwrap();
        let ca = Ca::new("Linux Patch tests OIDC CA");
        let leaf = ca.issue(&Leaf::server("localhost"));
        let (cert, key, ca_file) = (
            dir.path().join("idp.pem"),
            dir.path().join("idp.key"),
            dir.path().join("ca.pem"),
        );
        leaf.write(&cert, &key);
        std::fs::write(&ca_file, ca.cert_pem()).unwrap();
        let cfg = serde_json::json!({
            "port": 0, "cert": cert, "key": key, "tenant": TENANT, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri,
        });
        let mut child = Command::new("node")
            .arg(oidc_dir().join("entra.mjs"))
            .arg(cfg.to_string())
            .current_dir(oidc_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(dir.path().join("provider.log"))
                    .map(Stdio::from)
                    .unwrap_or(Stdio::null()),
            )
            .spawn()
            .expect("node (run scripts/install-prereqs.sh)");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        // Keep draining stdout, so the provider never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("the OIDC provider did not start: {line:?}");
        };
        Self {
            child,
            port,
            ca_file,
            _dir: dir,
        }
    }

    /// What the provider wrote to stderr so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("provider.log")).unwrap_or_default()
    }

    /// `https://localhost:PORT` (the manager's `sso.authority_host`).
    pub fn authority_host(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// Stops it (the "provider down" case).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn control(&self, path: &str) -> serde_json::Value {
        let r = self
            .client()
            .post(format!("{}{path}", self.authority_host()))
            .send()
            .await
            .unwrap();
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }

    /// Rolls the signing key over (a new key signs; the JWKS lists both); returns the new `kid`.
    pub async fn rotate(&self) -> String {
        self.control("/_test/rotate").await["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers `uri` as the client's redirect URI (for a console started after the provider).
    pub async fn set_redirect(&self, uri: &str) {
        self.control(&format!("/_test/redirect?uri={uri}")).await;
    }

    /// Test hook: re-sign ID tokens with a wrong `aud` / `iss` (`none` stops it).
    pub async fn tamper(&self, mode: &str) {
        self.control(&format!("/_test/tamper?m={mode}")).await;
    }

    /// A browser-like client: cookies kept, redirects followed by hand, the provider's CA trusted.
    pub fn client(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca_file).unwrap();
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap()
    }

    /// Follows `authorize_url` through the provider's own login page as `login` and returns the URL the
    /// provider finally redirects to (the console's callback with `code` and `state`, or an error).
    pub async fn sign_in(&self, client: &reqwest::Client, authorize_url: &str, login: &str) -> String {
        let mut url = authorize_url.to_owned();
        let mut posted = false;
        for _ in 0..12 {
            if !url.starts_with(&self.authority_host()) {
                return url;
            }
            let r = client.get(&url).send().await.unwrap();
            if let Some(loc) = r.headers().get("location") {
                url = absolute(&url, loc.to_str().unwrap());
                continue;
            }
            let body = r.text().await.unwrap();
            assert!(
                !posted && body.contains("name=\"login\""),
                "no login form at {url}: {body}"
            );
            let action = body
                .split("action=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap()
                .replace("&amp;", "&");
            let r = client
                .post(absolute(&url, &action))
                .form(&[("prompt", "login"), ("login", login), ("password", "any")])
                .send()
                .await
                .unwrap();
            posted = true;
            url = absolute(
                &url,
                r.headers()
                    .get("location")
                    .expect("redirect after login")
                    .to_str()
                    .unwrap(),
            );
        }
        panic!("too many redirects at the provider, last {url}");
    }
}

fn absolute(base: &str, loc: &str) -> String {
    reqwest::Url::parse(base).unwrap().join(loc).unwrap().to_string()
}

impl Drop for EntraProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
