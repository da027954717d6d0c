//! The composition root: [`AppBuilder`] makes the one [`AppContext`] (database, clock, CA, trust, stores)
//! and starts the [`Actors`] — the same builder for `serve` and for the test kit.
//!
//! Start-up order (`http::server::serve`): configuration and database (`cli`) -> the internal CA and the
//! console's certificate -> `AppBuilder::build` (context, then the actors, whose first ticks come later)
//! -> the agents' trust loaded -> the listener bound and announced.

mod context;

pub use context::AppContext;

use crate::actors::deployer::DeployerHandle;
use crate::actors::housekeeping::{self, HousekeepingHandle};
use crate::actors::poller::{self, PollerHandle};
use crate::actors::relay::{self, RelayHandle};
use crate::actors::scheduler::{self, SchedulerHandle};
use crate::agents::Agents;
use crate::auth::jwt::KeyRing;
use crate::auth::webauthn::WebauthnService;
use crate::ca::runtime::CaContext;
use crate::ca::trust::AgentTrust;
use crate::ca::InternalCa;
use crate::config::file::{EnrollmentSection, PollerSection};
use crate::db::{Db, PgPool};
use crate::discovery::store::DiscoveryStore;
use crate::enrollment::limiter::EnrollLimiter;
use crate::error::ManagerError;
use crate::housekeeping::Chores;
use linux_patch_shared::clock::SharedClock;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Agents the deployer calls at once unless configured.
pub const DEFAULT_DEPLOY_CONCURRENCY: usize = 64;

/// `GET /api/v1/enroll/status/{token}` per source address and minute (agents poll once a minute; many agents
/// behind one NAT address stay well under it).
pub const STATUS_POLLS_PER_MINUTE: u32 = 120;

/// The running actors' typed handles (cloned into every worker).
#[derive(Debug, Clone)]
pub struct Actors {
    /// Health and patch data of every host.
    pub poller: PollerHandle,
    /// Audit prune + verify, enrolment purge, certificate renewal.
    pub housekeeping: HousekeepingHandle,
    /// Sends deployment jobs to agents and follows them.
    pub deployer: DeployerHandle,
    /// Wakes the deployer when targets fall due.
    pub scheduler: SchedulerHandle,
    /// Live deployment state and agent job events to watching browsers and scripts.
    pub relay: RelayHandle,
    /// Restarts the embedded PostgreSQL, follows whether the database answers.
    pub database: crate::actors::database::DatabaseHandle,
    /// Delivers the e-mail outbox (retries with backoff).
    pub notifier: crate::actors::notifier::NotifierHandle,
}

/// Whether the actors run on their own clock ticks (`serve`) or only when told (tests: `sweep_due`,
/// `run_due`, `run_now`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorMode {
    /// Real-time ticks.
    Ticking,
    /// No automatic work.
    Manual,
}

/// Builds the manager's context and starts its actors.
#[derive(Debug)]
pub struct AppBuilder {
    pool: PgPool,
    clock: SharedClock,
    data_dir: PathBuf,
    ca: InternalCa,
    public_url: webauthn_rs::prelude::Url,
    poller: PollerSection,
    enrollment: EnrollmentSection,
    audit_retention_days: u32,
    renew_web: bool,
    mode: ActorMode,
    deploy_concurrency: usize,
    cluster: Option<crate::postgres::Cluster>,
    allow: Vec<ipnet::Ipv4Net>,
    web_names: (Vec<String>, Vec<std::net::IpAddr>),
    sso: crate::config::sso::SsoSection,
}

impl AppBuilder {
    /// A builder with the default settings (`poller`, `enrollment`, 183 days of audit), manual actors and
    /// no console certificate to renew.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        data_dir: PathBuf,
        ca: InternalCa,
        public_url: webauthn_rs::prelude::Url,
    ) -> Self {
        Self {
            pool,
            clock,
            data_dir,
            ca,
            public_url,
            poller: PollerSection::default(),
            enrollment: EnrollmentSection::default(),
            audit_retention_days: crate::config::file::AuditSection::default().retention_days,
            renew_web: false,
            mode: ActorMode::Manual,
            deploy_concurrency: DEFAULT_DEPLOY_CONCURRENCY,
            cluster: None,
            allow: vec![ipnet::Ipv4Net::new(std::net::Ipv4Addr::LOCALHOST, 8)
                .map(|n| n.trunc())
                .unwrap_or_default()],
            web_names: (
                vec!["localhost".to_owned()],
                vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
            ),
            sso: crate::config::sso::SsoSection::default(),
        }
    }

    /// The console allow-list of `config.yaml` (the runtime settings replace it once saved).
    pub fn allow(mut self, allow: Vec<ipnet::Ipv4Net>) -> Self {
        self.allow = allow;
        self
    }

    /// The names and addresses an internal-CA console certificate is issued for.
    pub fn web_names(mut self, dns: Vec<String>, ips: Vec<std::net::IpAddr>) -> Self {
        self.web_names = (dns, ips);
        self
    }

    /// `sso:` of config.yaml (its `ca_file` resolved).
    pub fn sso(mut self, s: crate::config::sso::SsoSection) -> Self {
        self.sso = s;
        self
    }

    /// The embedded cluster to supervise (none with `database.url`).
    pub fn cluster(mut self, c: Option<crate::postgres::Cluster>) -> Self {
        self.cluster = c;
        self
    }

    /// `poller:` settings.
    pub fn poller(mut self, s: PollerSection) -> Self {
        self.poller = s;
        self
    }

    /// `enrollment:` settings.
    pub fn enrollment(mut self, s: EnrollmentSection) -> Self {
        self.enrollment = s;
        self
    }

    /// Audit retention in days.
    pub fn audit_retention_days(mut self, days: u32) -> Self {
        self.audit_retention_days = days;
        self
    }

    /// Whether `config.yaml` says the console's certificate is the internal CA's (housekeeping renews it).
    pub fn renew_web(mut self, yes: bool) -> Self {
        self.renew_web = yes;
        self
    }

    /// Agents the deployer calls at once.
    pub fn deploy_concurrency(mut self, n: usize) -> Self {
        self.deploy_concurrency = n.clamp(1, 4096);
        self
    }

    /// Ticking or manual actors.
    pub fn mode(mut self, mode: ActorMode) -> Self {
        self.mode = mode;
        self
    }

    /// The context with its actors running on the current actix arbiter (call it inside the system).
    pub fn build(mut self) -> Result<AppContext, ManagerError> {
        // Runtime settings saved in the database win over `config.yaml` (its values are the initial defaults).
        let initial = crate::settings::apply::Initial {
            poller: self.poller.clone(),
            concurrency: self.deploy_concurrency,
            audit_days: self.audit_retention_days,
            allow: self.allow.clone(),
            internal_ca: self.renew_web,
        };
        let effective = {
            let mut conn = self.pool.get()?;
            crate::settings::stored(&mut conn, &initial)?
        };
        self.poller.health_interval_secs = effective.polling.health_interval_secs;
        self.poller.patch_interval_secs = effective.polling.patch_interval_secs;
        self.poller.history_days = effective.retention.operational_days;
        self.deploy_concurrency = effective.deployments.concurrency;
        self.audit_retention_days = effective.retention.audit_days;
        let gate = Arc::new(crate::settings::gate::ConsoleGate::new(
            crate::settings::parse_allow_list(&effective.allow_list).map_err(ManagerError::Internal)?,
        ));
        gate.set_internal_ca(effective.web_tls.strategy == crate::settings::TlsStrategy::InternalCa);
        let webauthn = WebauthnService::new(&self.public_url).map_err(ManagerError::Internal)?;
        let trust = Arc::new(AgentTrust::empty());
        let agents = Agents::new(
            trust.clone(),
            Duration::from_secs(self.poller.timeout_secs.max(1)),
        );
        let ca_pem = Arc::new(self.ca.cert_pem());
        let secrets = Arc::new(crate::secrets::SecretsKey::load_or_create(&self.data_dir)?);
        let secrets_key = secrets.clone();
        let ca_fingerprint = Arc::new(self.ca.fingerprint_sha256());
        let ca = Arc::new(self.ca);
        let data_dir = Arc::new(self.data_dir);
        let db = Db::new(self.pool.clone());
        let ticking = self.mode == ActorMode::Ticking;
        // This manager's name on its claims (deployment targets, outbox e-mails).
        let owner = format!(
            "{}:{}:{}",
            crate::config::host_name(),
            std::process::id(),
            ulid::Ulid::generate()
        );
        // The relay runs in both modes: it only reacts (watchers, deployer rounds, agent events).
        let relay = relay::start(relay::RelayDeps {
            db: db.clone(),
            agents: agents.clone(),
            clock: self.clock.clone(),
        });
        let (scheduler, deployer) = scheduler::start(
            crate::dispatch::Engine::new(crate::dispatch::DispatchDeps {
                db: db.clone(),
                clock: self.clock.clone(),
                agents: agents.clone(),
                owner: owner.clone(),
                concurrency: self.deploy_concurrency,
            }),
            self.clock.clone(),
            ticking,
            vec![relay.round_done()],
        );
        let actors = Actors {
            notifier: crate::actors::notifier::start(
                crate::notify::deliver::DeliverDeps {
                    db: db.clone(),
                    clock: self.clock.clone(),
                    secrets: secrets_key.clone(),
                    owner,
                },
                ticking.then_some(crate::actors::notifier::TICK),
            ),
            deployer,
            scheduler,
            relay,
            database: crate::actors::database::start(db.clone(), self.cluster, self.clock.clone(), ticking),
            poller: poller::start(
                crate::poll::sweep::PollDeps {
                    db: db.clone(),
                    clock: self.clock.clone(),
                    agents: agents.clone(),
                    cfg: self.poller.clone(),
                },
                ticking.then_some(poller::TICK),
            ),
            housekeeping: housekeeping::start(
                self.clock.clone(),
                Rc::new(Chores {
                    db,
                    ca: CaContext {
                        db: Db::new(self.pool.clone()),
                        clock: self.clock.clone(),
                        ca: ca.clone(),
                        ca_pem: ca_pem.clone(),
                        data_dir: data_dir.clone(),
                        trust: trust.clone(),
                    },
                    retention: Rc::new(std::cell::Cell::new(effective.retention)),
                    enrolment_purge_hours: self.enrollment.purge_after_hours,
                    gate: gate.clone(),
                }),
                ticking.then_some(housekeeping::TICK),
            ),
        };
        let sso = Arc::new(crate::sso::SsoRuntime::new(
            &self.sso,
            self.public_url.as_str(),
            secrets.clone(),
            self.clock.clone(),
        ));
        Ok(AppContext {
            sso,
            pool: self.pool,
            clock: self.clock,
            keys: KeyRing::new(secrets),
            webauthn: Arc::new(webauthn),
            ca_pem,
            ca_fingerprint,
            audit_retention_days: self.audit_retention_days,
            ca,
            data_dir,
            enroll_limiter: Arc::new(EnrollLimiter::new(self.enrollment.rate_limit_per_minute)),
            enroll_status_limiter: Arc::new(EnrollLimiter::new(STATUS_POLLS_PER_MINUTE)),
            poller_cfg: self.poller,
            enroll_cfg: self.enrollment,
            trust,
            agents,
            actors,
            discovery: Arc::new(DiscoveryStore::new()),
            console_names: Arc::new(crate::ca::ConsoleNames::new(
                self.public_url.host_str(),
                &crate::config::host_name(),
            )),
            login_throttle: Arc::new(crate::auth::throttle::LoginThrottle::new()),
            token_failures: Arc::new(crate::auth::token_failures::TokenFailures::new()),
            gate,
            secrets: secrets_key,
            initial_settings: Arc::new(initial),
            web_names: Arc::new(self.web_names),
        })
    }
}
