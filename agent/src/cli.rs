//! Command line: flags, `--check-config`, and the documented exit codes.

use crate::app::{self, StartError};
use crate::audit::logging;
use crate::config::AgentConfig;
use crate::paths::Paths;
use clap::Parser;
use std::path::PathBuf;

use crate::error::{EXIT_CONFIG, EXIT_OK, EXIT_STARTUP, EXIT_USAGE};

/// Linux Patch API agent: package and patch management of this host over mutual TLS.
#[derive(Debug, Parser)]
#[command(
    name = "linux-patch-api",
    version,
    about,
    after_help = "Files (under --prefix, default /):\n  \
        etc/linux_patch_api/config.yaml      configuration (unknown keys are errors)\n  \
        etc/linux_patch_api/whitelist.yaml   IPv4 allow-list (addresses, CIDRs, host names)\n  \
        etc/linux_patch_api/certs/           ca.pem, server.pem, server.key (crl.pem)\n  \
        var/lib/linux_patch_api/             jobs/ and state/ (state/manager-ca.pem: the pinned manager CA)\n  \
        var/log/linux_patch_api/audit.log    audit trail (JSON lines, daily rotation, gzip)\n\n\
        Enrolment:\n  linux-patch-api --enroll https://manager:8443 --ca-fingerprint AB:CD:...\n  \
        asks the manager to join, prints `pending approval ...` at every poll until an admin approves\n  \
        (console Enrolment page or `linux-patch-manager enrollment approve ID`), writes certs/, sets\n  \
        tls.crl, allows the manager's address in whitelist.yaml and serves. Denied or purged: exit 1.\n\n\
        Exit codes:\n  0 success   1 failed while running   2 bad command line\n  \
        3 invalid configuration, allow-list or certificates   4 could not start (listen, backend, dirs)"
)]
pub struct Args {
    /// Configuration file (whitelist.yaml is read from the same directory).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Relocate /etc, /var/lib and /var/log together (tests, unprivileged trials).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub prefix: PathBuf,
    /// Validate config.yaml, whitelist.yaml and the certificates, then exit (0 valid, 3 invalid).
    #[arg(long, conflicts_with = "enroll")]
    pub check_config: bool,
    /// Self-enrol with the manager at URL (https://manager:8443): ask to join, wait for an admin's
    /// approval, install the certificates, allow the manager's address, then serve mTLS (no restart).
    #[arg(long, value_name = "URL")]
    pub enroll: Option<String>,
    /// SHA-256 fingerprint of the manager's CA (as the manager prints it; colons optional). Without it
    /// the CA is trusted on first use (printed and audited) and pinned.
    #[arg(long, value_name = "SHA256", requires = "enroll")]
    pub ca_fingerprint: Option<String>,
    /// Host name to enrol under (default: this host's FQDN, as `hostname -f`).
    #[arg(long, value_name = "FQDN", requires = "enroll")]
    pub enroll_name: Option<String>,
    /// IPv4 address the manager should reach this agent at (default: the source address of the route to
    /// the manager).
    #[arg(long, value_name = "IPv4", requires = "enroll")]
    pub enroll_ip: Option<String>,
    /// Seconds between status polls (default: what the manager says, normally 60).
    #[arg(long, value_name = "SECS", requires = "enroll", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub enroll_poll_secs: Option<u64>,
}

/// Parses the command line, runs, and returns the process exit code.
pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let paths = Paths::new(&args.prefix, args.config.as_deref());
    let mut enrolled_log = None;
    if let Some(url) = &args.enroll {
        let e = crate::enroll::EnrollArgs {
            url: url.clone(),
            ca_fingerprint: args.ca_fingerprint.clone(),
            name: args.enroll_name.clone(),
            ip: args.enroll_ip.clone(),
            poll_secs: args.enroll_poll_secs,
        };
        match crate::enroll::from_cli(&args.prefix, &paths, &e) {
            Ok(handle) => enrolled_log = Some(handle),
            Err(code) => return code,
        }
    }
    let cfg = match AgentConfig::load(&paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("linux-patch-api: invalid configuration: {e}");
            return EXIT_CONFIG;
        }
    };
    if args.check_config {
        return match app::tls_config(&cfg) {
            Ok(_) => {
                println!(
                    "configuration OK: {} and {} ({} allow-list entries), certificates usable, listen {}",
                    paths.config_file.display(),
                    paths.whitelist_file.display(),
                    cfg.allow.entries().len(),
                    cfg.listen
                );
                EXIT_OK
            }
            Err(e) => {
                eprintln!(
                    "linux-patch-api: invalid configuration: {}: {e}",
                    paths.config_file.display()
                );
                EXIT_CONFIG
            }
        };
    }
    let log_handle = match enrolled_log.map(Ok).unwrap_or_else(|| {
        logging::init(
            cfg.file.logging.level.filter(),
            &paths.log_dir,
            cfg.file.logging.retention_days,
        )
    }) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!(
                "linux-patch-api: cannot set up logging in {}: {e}",
                paths.log_dir.display()
            );
            return EXIT_STARTUP;
        }
    };
    match app::run(paths, cfg, Some(log_handle)) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            log::error!("{e}");
            eprintln!("linux-patch-api: {e}");
            match e {
                StartError::Tls(_) => EXIT_CONFIG,
                StartError::Startup(_) => EXIT_STARTUP,
            }
        }
    }
}
