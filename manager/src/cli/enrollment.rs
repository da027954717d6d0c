//! `linux-patch-manager enrollment list|approve|deny`: the same operations as the console, as actor `cli`.

use super::EnrollmentCmd;
use crate::auth::rbac::Scope;
use crate::db::models::enrollment::Enrollment;
use crate::error::{ManagerError, EXIT_OK};
use crate::services::enrollment as ops;
use crate::services::Actor;
use diesel::PgConnection;
use linux_patch_shared::clock::{Clock, SystemClock};

fn cli_actor() -> Actor {
    Actor {
        name: "cli".into(),
        id: 0,
        scope: Scope::All,
    }
}

fn line(e: &Enrollment) -> String {
    format!(
        "{:>5}  {:<8}  {:<40}  {:<15}  {}  {}  from {}  key SHA256 {}",
        e.id, e.status, e.fqdn, e.ip, e.machine_id, e.os, e.source_ip, e.key_fingerprint
    )
}

/// Asks on the terminal whether to approve `n` requests; only `y`/`yes` is a yes (end of input is a no).
fn confirmed(n: usize) -> Result<bool, ManagerError> {
    use std::io::Write;
    print!("approve these {n} requests? [y/N] ");
    std::io::stdout()
        .flush()
        .map_err(|e| ManagerError::Internal(format!("stdout: {e}")))?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| ManagerError::Internal(format!("stdin: {e}")))?;
    println!();
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Runs one `enrollment` subcommand; returns the exit code.
pub fn run(conn: &mut PgConnection, cmd: &EnrollmentCmd) -> Result<i32, ManagerError> {
    let now = SystemClock.now();
    let who = cli_actor();
    match cmd {
        EnrollmentCmd::List => {
            let (pending, decided) = ops::listing(conn)?;
            println!("pending ({}):", pending.len());
            for e in &pending {
                println!(
                    "{}  requested {}",
                    line(e),
                    e.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            println!("recently decided ({}):", decided.len());
            for e in &decided {
                println!("{}  by {}", line(e), e.decided_by.as_deref().unwrap_or("?"));
            }
        }
        EnrollmentCmd::Approve { id, all, yes } => {
            let ids: Vec<i64> = match (id, all) {
                (Some(id), _) => vec![*id],
                (None, _) => {
                    let pending = ops::listing(conn)?.0;
                    for e in &pending {
                        println!("{}", line(e));
                    }
                    if !pending.is_empty() && !*yes && !confirmed(pending.len())? {
                        println!(
                            "nothing approved: compare each key fingerprint with what its agent printed, then \
                             approve by id (or answer y)"
                        );
                        return Ok(crate::error::EXIT_REFUSED);
                    }
                    pending.iter().map(|e| e.id).collect()
                }
            };
            if ids.is_empty() {
                println!("no pending enrolment requests");
            }
            for id in ids {
                let reserved = crate::ca::ConsoleNames::new(None, &crate::config::host_name());
                let (e, h) = ops::approve(conn, now, &who, &reserved, id)?;
                println!(
                    "approved request {} ({}): host {} id {}",
                    e.id, e.fqdn, h.hostname, h.id
                );
            }
        }
        EnrollmentCmd::Deny { id } => {
            let e = ops::deny(conn, now, &who, *id)?;
            println!("denied request {} ({})", e.id, e.fqdn);
        }
    }
    Ok(EXIT_OK)
}
