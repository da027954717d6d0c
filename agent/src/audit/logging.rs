//! log4rs set-up: operational log to stderr at the configured level; audit target to a daily-rotated,
//! gzip-compressed `audit.log` kept `retention_days`, and to the systemd journal when its socket exists.

use super::TARGET;
use log4rs::append::console::{ConsoleAppender, Target};
use log4rs::append::rolling_file::policy::compound::roll::fixed_window::FixedWindowRoller;
use log4rs::append::rolling_file::policy::compound::trigger::time::{
    TimeTrigger, TimeTriggerConfig, TimeTriggerInterval,
};
use log4rs::append::rolling_file::policy::compound::CompoundPolicy;
use log4rs::append::rolling_file::RollingFileAppender;
use log4rs::append::Append;
use log4rs::config::{Appender, Config, Logger, Root};
use log4rs::encode::pattern::PatternEncoder;
use std::path::Path;
use systemd_journal_logger::JournalLog;

/// Where the journal listens for native-protocol messages.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Sends audit records to journald with their key-values as fields, identifier `linux-patch-api`.
struct JournalAppender(JournalLog);

impl std::fmt::Debug for JournalAppender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalAppender")
    }
}

impl Append for JournalAppender {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        Ok(self.0.journal_send(record)?)
    }

    fn flush(&self) {}
}

/// Sends audit records to the remote syslog collector's queue (never blocks).
struct SyslogAppender(std::sync::Arc<super::syslog::RemoteSyslog>);

impl std::fmt::Debug for SyslogAppender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyslogAppender")
    }
}

impl Append for SyslogAppender {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        self.0.enqueue(record.level(), &record.args().to_string());
        Ok(())
    }

    fn flush(&self) {}
}

/// The log4rs configuration: console at `level`, audit to `audit_log` (and the journal when `journal`,
/// and the remote syslog collector when a sender is installed).
pub fn build_config(
    level: log::LevelFilter,
    audit_log: &Path,
    retention_days: u32,
    journal: bool,
) -> anyhow::Result<Config> {
    let console = ConsoleAppender::builder()
        .target(Target::Stderr)
        .encoder(Box::new(PatternEncoder::new(
            "{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l:<5} {t} - {m}{n}",
        )))
        .build();
    let pattern = format!("{}.{{}}.gz", audit_log.display());
    let roller = FixedWindowRoller::builder()
        .base(1)
        .build(&pattern, retention_days.max(1))?;
    let trigger = TimeTrigger::new(TimeTriggerConfig {
        interval: TimeTriggerInterval::Day(1),
        modulate: true,
        max_random_delay: 0,
    });
    let audit_file = RollingFileAppender::builder()
        .encoder(Box::new(PatternEncoder::new("{m}{n}")))
        .build(
            audit_log,
            Box::new(CompoundPolicy::new(Box::new(trigger), Box::new(roller))),
        )?;

    let mut builder = Config::builder()
        .appender(Appender::builder().build("console", Box::new(console)))
        .appender(Appender::builder().build("audit_file", Box::new(audit_file)));
    let mut audit = Logger::builder().additive(false).appender("audit_file");
    if journal {
        let j = JournalLog::new()?.with_syslog_identifier("linux-patch-api".to_owned());
        builder = builder.appender(Appender::builder().build("journal", Box::new(JournalAppender(j))));
        audit = audit.appender("journal");
    }
    if let Some(remote) = super::syslog::installed() {
        builder =
            builder.appender(Appender::builder().build("remote_syslog", Box::new(SyslogAppender(remote))));
        audit = audit.appender("remote_syslog");
    }
    Ok(builder
        .logger(audit.build(TARGET, log::LevelFilter::Info))
        // Third-party crates stay at warn unless debugging.
        .logger(Logger::builder().build("actix_server", level.min(log::LevelFilter::Warn)))
        .logger(Logger::builder().build("rustls", level.min(log::LevelFilter::Warn)))
        .build(Root::builder().appender("console").build(level))?)
}

/// Starts the remote syslog sender for `logging.remote_syslog` (when set) and adds it to the running
/// logger behind `handle`; from then on every audit record is also queued for the collector.
pub fn attach_remote_syslog(
    handle: &log4rs::Handle,
    logging: &crate::config::file::LoggingSection,
    audit_log: &Path,
    clock: linux_patch_shared::clock::SharedClock,
) -> Result<(), String> {
    let Some(remote) = &logging.remote_syslog else {
        return Ok(());
    };
    let target = super::syslog::wire::Target::parse(remote)?;
    super::syslog::install(target, clock)?;
    let journal = Path::new(JOURNAL_SOCKET).exists();
    let config = build_config(logging.level.filter(), audit_log, logging.retention_days, journal)
        .map_err(|e| e.to_string())?;
    handle.set_config(config);
    Ok(())
}

/// Creates the log directory (0750) and installs the logger; the handle allows level changes later.
pub fn init(level: log::LevelFilter, log_dir: &Path, retention_days: u32) -> anyhow::Result<log4rs::Handle> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(log_dir)?;
    let journal = Path::new(JOURNAL_SOCKET).exists();
    let config = build_config(level, &log_dir.join("audit.log"), retention_days, journal)?;
    Ok(log4rs::init_config(config)?)
}
