//! systemd readiness notification (`sd_notify`): one datagram to `$NOTIFY_SOCKET` when a unit of
//! `Type=notify` is ready, without linking libsystemd.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The variable systemd sets for `Type=notify` services.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Tells systemd the service is ready (`READY=1`, with `status` shown by `systemctl status`).
///
/// Call it once the listener is bound. Outside systemd (no `$NOTIFY_SOCKET`) it does nothing. A failure is
/// printed to stderr (the journal, under systemd) rather than returned: the unit's start timeout then
/// tells the operator the rest, and the service itself can still serve.
pub fn ready(status: &str) {
    if let Some(socket) = std::env::var_os(NOTIFY_SOCKET) {
        let message = format!(
            "READY=1\nSTATUS={}\nMAINPID={}\n",
            one_line(status),
            std::process::id()
        );
        if let Err(e) = send(&socket, &message) {
            eprintln!("cannot notify systemd of readiness through {socket:?}: {e}");
        }
    }
}

/// Sends one notification datagram to `socket` (a path, or `@name` for the abstract namespace).
pub fn send(socket: &OsStr, message: &str) -> io::Result<()> {
    let bytes = socket.as_bytes();
    let addr = match bytes.split_first() {
        Some((b'@', name)) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name)?
        }
        Some((b'/', _)) => SocketAddr::from_pathname(socket)?,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "NOTIFY_SOCKET is neither an absolute path nor an abstract name",
            ))
        }
    };
    let sock = UnixDatagram::unbound()?;
    let sent = sock.send_to_addr(message.as_bytes(), &addr)?;
    if sent == message.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "short notification datagram",
        ))
    }
}

/// A status text stays on one line (a newline would start a new assignment).
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_one_datagram_to_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str(), "READY=1\nSTATUS=listening\n").unwrap();
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=listening\n");
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("lp-notify-test-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
        send(OsStr::new(&format!("@{name}")), "READY=1\n").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
    }

    #[test]
    fn refuses_relative_and_empty_socket_names() {
        for bad in ["", "relative/path"] {
            let e = send(OsStr::new(bad), "READY=1\n").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn status_text_cannot_inject_assignments() {
        assert_eq!(one_line("ok\nREADY=0\r"), "ok READY=0 ");
    }
}
