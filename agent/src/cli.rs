//! Command line: flags, `--check-config`, and the documented exit codes.

use crate::app::{self, StartError};
use crate::audit::logging;
use crate::config::AgentConfig;
use crate::paths::Paths;
use clap::Parser;
use std::path::PathBuf;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the agent failed while running.
pub const EXIT_RUNTIME: i32 = 1;
/// Exit code: bad command line (clap's own code).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: invalid configuration, allow-list or certificates.
pub const EXIT_CONFIG: i32 = 3;
/// Exit code: could not start (listen address, logging, state directories, package backend).
pub const EXIT_STARTUP: i32 = 4;

/// Linux Patch API agent: package and patch management of this host over mutual TLS.
#[derive(Debug, Parser)]
#[command(
    name = "linux-patch-api",
    version,
    about,
    after_help = "Files (under --prefix, default /):\n  \
        etc/linux_patch_api/config.yaml      configuration (unknown keys are errors)\n  \
        etc/linux_patch_api/whitelist.yaml   IPv4 allow-list (addresses, CIDRs, host names)\n  \
        etc/linux_patch_api/certs/           ca.pem, server.pem, server.key\n  \
        var/lib/linux_patch_api/             jobs/ and state/\n  \
        var/log/linux_patch_api/audit.log    audit trail (JSON lines, daily rotation, gzip)\n\n\
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
    #[arg(long)]
    pub check_config: bool,
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
    let log_handle = match logging::init(
        cfg.file.logging.level.filter(),
        &paths.log_dir,
        cfg.file.logging.retention_days,
    ) {
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
