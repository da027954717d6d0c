//! Command line: subcommands, `--prefix`/`--config`, and the documented exit codes.

pub mod deploy;
pub mod enrollment;

use crate::audit;
use crate::config::ManagerConfig;
use crate::db::models::Role;
use crate::db::Database;
use crate::error::{ManagerError, EXIT_AUDIT_BROKEN, EXIT_OK, EXIT_USAGE};
use crate::paths::Paths;
use crate::services::accounts;
use clap::{Parser, Subcommand};
use linux_patch_shared::clock::SystemClock;
use std::path::PathBuf;

/// Linux Patch Manager: fleet patch management console, REST API and audit trail.
#[derive(Debug, Parser)]
#[command(
    name = "linux-patch-manager",
    version,
    about,
    after_help = "Files (under --prefix, default /):\n  \
        etc/linux_patch_manager/config.yaml   configuration (unknown keys are errors)\n  \
        var/lib/linux_patch_manager/          data_dir: postgres/ (embedded cluster), run/ (its socket)\n\n\
        Exit codes:\n  0 success   1 audit chain broken   2 bad command line   3 invalid configuration\n  \
        4 database or I/O failure   5 refused (invalid or taken user name); nothing changed"
)]
pub struct Args {
    /// Configuration file.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Relocate /etc/linux_patch_manager and /var/lib/linux_patch_manager together.
    #[arg(long, value_name = "DIR", default_value = "/", global = true)]
    pub prefix: PathBuf,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the console and REST API over HTTPS (the default when no command is given).
    Serve,
    /// Apply pending database migrations (every command that uses the database also does).
    Migrate,
    /// Manage accounts.
    User {
        /// What to do with accounts.
        #[command(subcommand)]
        command: UserCmd,
    },
    /// Inspect the hash-chained audit log.
    Audit {
        /// What to do with the audit log.
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Validate config.yaml and exit (0 valid, 3 invalid).
    CheckConfig,
    /// Agents' self-enrolment requests (`linux-patch-api --enroll`): list, approve, deny (audited as `cli`).
    Enrollment {
        /// What to do with enrolment requests.
        #[command(subcommand)]
        command: EnrollmentCmd,
    },
    /// Maintenance windows (audited as `cli`).
    Window {
        /// What to do with windows.
        #[command(subcommand)]
        command: WindowCmd,
    },
    /// Patch deployments (audited as `cli`); the running server dispatches them.
    Deployment {
        /// What to do with deployments.
        #[command(subcommand)]
        command: DeploymentCmd,
    },
}

/// `window ...`.
#[derive(Debug, Subcommand)]
pub enum WindowCmd {
    /// Add a window to hosts, e.g. `--hosts all --spec '{"kind":{"type":"daily"},"start":"02:00","duration_minutes":120}'`.
    Add {
        /// `all` or host names, comma separated.
        #[arg(long)]
        hosts: String,
        /// The window as JSON (docs/manager.md, "Maintenance windows").
        #[arg(long)]
        spec: String,
        /// A label.
        #[arg(long, default_value = "")]
        name: String,
    },
}

/// `deployment ...`.
#[derive(Debug, Subcommand)]
pub enum DeploymentCmd {
    /// Create a deployment.
    Create {
        /// `all` or host names, comma separated.
        #[arg(long)]
        hosts: String,
        /// apply_all, security_only, packages, install, remove, reboot.
        #[arg(long, default_value = "security_only")]
        operation: String,
        /// Package names (packages, install, remove).
        #[arg(long = "package")]
        packages: Vec<String>,
        /// next_window or now.
        #[arg(long, default_value = "next_window")]
        mode: String,
        /// never or if_required.
        #[arg(long, default_value = "never")]
        reboot: String,
    },
    /// The last 50 deployments with their targets counted by state.
    List,
}

/// `enrollment ...`.
#[derive(Debug, Subcommand)]
pub enum EnrollmentCmd {
    /// List pending requests and recent decisions.
    List,
    /// Approve request ID (registers the host; the agent fetches its certificate at its next poll).
    Approve {
        /// The request's id (see `enrollment list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Approve every pending request (lists them with their key fingerprints and asks first).
        #[arg(long)]
        all: bool,
        /// With --all: do not ask (scripts); compare the fingerprints some other way.
        #[arg(long, requires = "all")]
        yes: bool,
    },
    /// Deny request ID (the agent stops with "enrolment denied").
    Deny {
        /// The request's id.
        id: i64,
    },
}

/// `user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create an account with a one-time password (printed once; must be changed at first login).
    Create {
        /// Create an administrator with this user name.
        #[arg(long, value_name = "NAME", required = true)]
        admin: String,
    },
}

/// `audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Verify the hash chain; names the first broken row (exit 1) or prints a summary (exit 0).
    Verify,
}

/// Logs to stderr (systemd's journal picks it up): level from `RUST_LOG`-style `LPM_LOG` (default info).
fn init_logging() {
    use log4rs::append::console::{ConsoleAppender, Target};
    use log4rs::config::{Appender, Config, Root};
    use log4rs::encode::pattern::PatternEncoder;
    let level = std::env::var("LPM_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(log::LevelFilter::Info);
    let stderr = ConsoleAppender::builder()
        .target(Target::Stderr)
        .encoder(Box::new(PatternEncoder::new(
            "{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l} {t}: {m}{n}",
        )))
        .build();
    if let Ok(config) = Config::builder()
        .appender(Appender::builder().build("stderr", Box::new(stderr)))
        .build(Root::builder().appender("stderr").build(level))
    {
        let _ = log4rs::init_config(config);
    }
}

/// What `serve` runs once the configuration is loaded and the database is open: the HTTPS server
/// (`http::server::serve`). `main.rs` passes it in, so the command line does not import the web layer.
pub type ServeFn = fn(&Paths, &ManagerConfig, Database) -> Result<(), ManagerError>;

/// Parses the command line, runs (`serve` through `serve`), and returns the process exit code.
pub fn main(serve: ServeFn) -> i32 {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match run(&args, serve) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("linux-patch-manager: {e}");
            e.exit_code()
        }
    }
}

fn run(args: &Args, serve: ServeFn) -> Result<i32, ManagerError> {
    let paths = Paths::new(&args.prefix, args.config.as_deref());
    let cfg = ManagerConfig::load(&paths)?;
    let command = args.command.as_ref().unwrap_or(&Cmd::Serve);
    if let Cmd::CheckConfig = command {
        println!(
            "configuration OK: {} (listen {}, data_dir {}, database {}, {} allow-list entries)",
            paths.config_file.display(),
            cfg.listen,
            cfg.data_dir.display(),
            if cfg.database_url().is_some() {
                "external"
            } else {
                "embedded"
            },
            cfg.allow.len()
        );
        return Ok(EXIT_OK);
    }
    if let Cmd::Serve = command {
        init_logging();
    }
    let (db, applied) = Database::open(&cfg)?;
    let code = match command {
        Cmd::CheckConfig => EXIT_OK,
        Cmd::Serve => {
            if !applied.is_empty() {
                log::info!("applied migrations: {}", applied.join(", "));
            }
            let secrets = crate::secrets::SecretsKey::load_or_create(&cfg.data_dir)?;
            crate::auth::jwt::seal_plaintext_keys(&mut *db.conn()?, &secrets)?;
            if crate::db::models::User::count(&mut *db.conn()?)? == 0 {
                log::warn!(
                    "no accounts yet: create the first administrator with `linux-patch-manager user create --admin NAME`"
                );
            }
            serve(&paths, &cfg, db)?;
            return Ok(EXIT_OK);
        }
        Cmd::Migrate => {
            if applied.is_empty() {
                println!("database schema up to date");
            } else {
                println!("applied migrations: {}", applied.join(", "));
            }
            EXIT_OK
        }
        Cmd::User {
            command: UserCmd::Create { admin },
        } => {
            let created = accounts::create_user(&mut *db.conn()?, &SystemClock, "cli", admin, Role::Admin)?;
            println!(
                "admin `{}` created (id {}); this one-time password is shown only once and must be changed at first login:",
                created.user.username, created.user.id
            );
            println!("one-time password: {}", created.one_time_password);
            EXIT_OK
        }
        Cmd::Enrollment { command } => enrollment::run(&mut *db.conn()?, command)?,
        Cmd::Window { command } => deploy::window(&cfg, &db, command)?,
        Cmd::Deployment { command } => deploy::deployment(&cfg, &db, command)?,
        Cmd::Audit {
            command: AuditCmd::Verify,
        } => {
            let v = audit::verify(&mut *db.conn()?)?;
            match (&v.broken, v.range) {
                (Some(b), _) => {
                    eprintln!("audit chain BROKEN at row {}: {}", b.id, b.reason);
                    EXIT_AUDIT_BROKEN
                }
                (None, range) => {
                    let span = range.map_or_else(|| "no rows".to_owned(), |(a, b)| format!("ids {a}..{b}"));
                    let from = v.checkpoint.map_or_else(
                        || "from the start".to_owned(),
                        |c| format!("continuing from checkpoint after id {c}"),
                    );
                    println!("audit chain OK: {} rows ({span}), {from}", v.rows);
                    EXIT_OK
                }
            }
        }
    };
    drop(db);
    Ok(code)
}
