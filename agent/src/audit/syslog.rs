//! Remote syslog (`logging.remote_syslog`): every audit record goes, as RFC 5424 with structured data, to
//! a UDP or TCP collector through a bounded queue and one sender thread, so a request never waits for the
//! collector; what cannot be queued or sent is counted, reported in health and audited locally.

pub mod wire;

use super::Auditor;
use crate::audit_fields;
use linux_patch_shared::api::agent::RemoteSyslogStatus;
use linux_patch_shared::clock::SharedClock;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wire::{Target, Transport};

/// Messages held while the collector is slow or away; beyond this they are dropped (and counted).
pub const QUEUE_CAPACITY: usize = 1000;
/// First wait before reconnecting after a failure; doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Longest a TCP connect or write may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// The sender of this process. The `log` logger it feeds is process-wide, so is it; `None` when
/// `logging.remote_syslog` is null.
static SENDER: OnceLock<Arc<RemoteSyslog>> = OnceLock::new();

/// Starts the sender for `target` (once per process) and returns it.
pub fn install(target: Target, clock: SharedClock) -> Result<Arc<RemoteSyslog>, String> {
    if let Some(existing) = SENDER.get() {
        return Ok(existing.clone());
    }
    let sender = RemoteSyslog::start(target, Auditor::new(clock))?;
    Ok(SENDER.get_or_init(|| sender).clone())
}

/// The running sender, if one was installed.
pub fn installed() -> Option<Arc<RemoteSyslog>> {
    SENDER.get().cloned()
}

/// Counters shared by the queue's producers (any thread) and the sender thread.
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    queued: AtomicU64,
    dropped: AtomicU64,
    dropped_reported: AtomicU64,
    connected: AtomicBool,
    last_error: Mutex<Option<String>>,
}

/// A bounded queue in front of one sender thread.
#[derive(Debug)]
pub struct RemoteSyslog {
    target: Target,
    queue: SyncSender<String>,
    counters: Arc<Counters>,
    hostname: String,
}

impl RemoteSyslog {
    /// Starts the sender thread; the first connection is made by that thread, not here.
    pub fn start(target: Target, auditor: Auditor) -> Result<Arc<Self>, String> {
        let (queue, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let counters = Arc::new(Counters::default());
        let worker = Worker {
            target: target.clone(),
            counters: counters.clone(),
            auditor,
            conn: None,
        };
        std::thread::Builder::new()
            .name("remote-syslog".into())
            .spawn(move || worker.run(rx))
            .map_err(|e| format!("cannot start the remote syslog sender: {e}"))?;
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default();
        Ok(Arc::new(Self {
            target,
            queue,
            counters,
            hostname,
        }))
    }

    /// Queues one audit record (never blocks); a full queue drops it and counts the drop.
    pub fn enqueue(&self, level: log::Level, json_line: &str) {
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json_line).unwrap_or_default();
        let text = |k: &str| parsed.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let (ts, event) = (text("ts"), text("event"));
        let mut fields = parsed;
        fields.remove("ts");
        fields.remove("event");
        let msg = wire::rfc5424(
            level,
            &ts,
            &self.hostname,
            std::process::id(),
            &event,
            &fields,
            json_line,
        );
        self.counters.queued.fetch_add(1, Ordering::SeqCst);
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.queue.try_send(msg) {
            self.counters.queued.fetch_sub(1, Ordering::SeqCst);
            self.counters.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The counters as health reports them.
    pub fn status(&self) -> RemoteSyslogStatus {
        let c = &self.counters;
        RemoteSyslogStatus {
            target: self.target.to_string(),
            connected: c.connected.load(Ordering::SeqCst),
            sent: c.sent.load(Ordering::SeqCst),
            queued: c.queued.load(Ordering::SeqCst),
            dropped: c.dropped.load(Ordering::SeqCst),
            last_error: c.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }
}

/// An open connection to the collector.
#[derive(Debug)]
enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
}

impl Conn {
    fn open(target: &Target) -> Result<Self, String> {
        let addr = target.resolve()?;
        match target.transport {
            Transport::Udp => {
                let s = UdpSocket::bind(("0.0.0.0", 0)).map_err(|e| format!("udp socket: {e}"))?;
                s.connect(addr).map_err(|e| format!("udp {addr}: {e}"))?;
                Ok(Conn::Udp(s))
            }
            Transport::Tcp => {
                let s =
                    TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("tcp {addr}: {e}"))?;
                s.set_write_timeout(Some(IO_TIMEOUT))
                    .map_err(|e| format!("tcp {addr}: {e}"))?;
                s.set_nodelay(true).map_err(|e| format!("tcp {addr}: {e}"))?;
                Ok(Conn::Tcp(s))
            }
        }
    }

    /// Whether the collector closed a TCP connection (a write would vanish into a dead socket).
    fn peer_closed(&mut self) -> bool {
        let Conn::Tcp(s) = self else { return false };
        if s.set_nonblocking(true).is_err() {
            return true;
        }
        let mut buf = [0u8; 64];
        let closed = match s.read(&mut buf) {
            Ok(0) => true,
            Ok(_) => false, // collectors send nothing; ignore it
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        };
        closed || s.set_nonblocking(false).is_err()
    }

    fn send(&mut self, msg: &str) -> Result<(), String> {
        match self {
            Conn::Udp(s) => s
                .send(msg.as_bytes())
                .map(|_| ())
                .map_err(|e| format!("udp send: {e}")),
            Conn::Tcp(s) => s
                .write_all(&wire::octet_counted(msg))
                .map_err(|e| format!("tcp send: {e}")),
        }
    }
}

/// The sender thread's state.
struct Worker {
    target: Target,
    counters: Arc<Counters>,
    auditor: Auditor,
    conn: Option<Conn>,
}

impl Worker {
    fn run(mut self, rx: Receiver<String>) {
        // Never receives: only waited on, as the back-off timer (no sleeping).
        let (_keep, pause) = mpsc::channel::<()>();
        let mut backoff = FIRST_BACKOFF;
        let mut held: Option<String> = None;
        loop {
            let msg = match held.take() {
                Some(m) => m,
                None => match rx.recv() {
                    Ok(m) => {
                        self.counters.queued.fetch_sub(1, Ordering::SeqCst);
                        m
                    }
                    Err(_) => return,
                },
            };
            match self.deliver(&msg) {
                Ok(()) => {
                    backoff = FIRST_BACKOFF;
                    self.counters.sent.fetch_add(1, Ordering::SeqCst);
                    self.report_drops();
                }
                Err(e) => {
                    self.fail(e);
                    match self.target.transport {
                        // A datagram the network refused is gone; the next one may pass.
                        Transport::Udp => {
                            self.counters.dropped.fetch_add(1, Ordering::SeqCst);
                        }
                        // Keep the message and retry after a pause; meanwhile the queue fills, then drops.
                        Transport::Tcp => {
                            held = Some(msg);
                            if let Err(RecvTimeoutError::Disconnected) = pause.recv_timeout(backoff) {
                                return;
                            }
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                        }
                    }
                }
            }
        }
    }

    fn deliver(&mut self, msg: &str) -> Result<(), String> {
        if self.conn.as_mut().is_some_and(Conn::peer_closed) {
            self.conn = None;
        }
        if self.conn.is_none() {
            self.conn = Some(Conn::open(&self.target)?);
        }
        let conn = self.conn.as_mut().ok_or("no connection")?;
        conn.send(msg)?;
        self.counters.connected.store(true, Ordering::SeqCst);
        if let Ok(mut e) = self.counters.last_error.lock() {
            *e = None;
        }
        Ok(())
    }

    fn fail(&mut self, error: String) {
        self.conn = None;
        let was = self.counters.connected.swap(false, Ordering::SeqCst);
        if was {
            log::warn!(
                "remote syslog {}: {error}; queueing (at most {QUEUE_CAPACITY})",
                self.target
            );
        }
        if let Ok(mut e) = self.counters.last_error.lock() {
            *e = Some(error);
        }
    }

    /// After a successful send, audits the drops not reported yet (locally, and to the collector).
    fn report_drops(&self) {
        let total = self.counters.dropped.load(Ordering::SeqCst);
        let before = self.counters.dropped_reported.swap(total, Ordering::SeqCst);
        if total > before {
            self.auditor.emit(
                log::Level::Warn,
                "syslog.dropped",
                audit_fields! {"target" => self.target.to_string(), "dropped" => total - before,
                "dropped_total" => total},
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::TcpListener;

    fn sender(port: u16) -> Arc<RemoteSyslog> {
        let clock = Arc::new(linux_patch_shared::clock::ManualClock::new(
            chrono::DateTime::UNIX_EPOCH,
        ));
        let target = Target::parse(&format!("tcp://127.0.0.1:{port}")).unwrap();
        RemoteSyslog::start(target, Auditor::new(clock)).unwrap()
    }

    /// Reads one octet-counted frame.
    fn frame(r: &mut std::io::BufReader<TcpStream>) -> String {
        let mut len = Vec::new();
        r.read_until(b' ', &mut len).unwrap();
        let n: usize = String::from_utf8(len).unwrap().trim().parse().unwrap();
        let mut msg = vec![0u8; n];
        r.read_exact(&mut msg).unwrap();
        String::from_utf8(msg).unwrap()
    }

    #[test]
    fn tcp_frames_arrive_in_order_and_a_full_queue_drops_instead_of_blocking() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let s = sender(listener.local_addr().unwrap().port());
        for i in 0..3 {
            s.enqueue(
                log::Level::Info,
                &format!(r#"{{"ts":"2026-01-01T00:00:00.000Z","event":"e{i}","n":{i}}}"#),
            );
        }
        let (conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = std::io::BufReader::new(conn);
        for i in 0..3 {
            let m = frame(&mut r);
            assert!(m.starts_with("<86>1 2026-01-01T00:00:00.000Z "), "{m}");
            assert!(
                m.contains(&format!(" e{i} [audit@32473 event=\"e{i}\" n=\"{i}\"] {{")),
                "{m}"
            );
        }
        assert_eq!(s.status().dropped, 0);

        // The collector goes away: enqueueing never blocks; beyond the queue, records are counted as dropped.
        drop(r);
        drop(listener);
        let started = std::time::Instant::now();
        for _ in 0..QUEUE_CAPACITY + 100 {
            s.enqueue(log::Level::Warn, r#"{"ts":"t","event":"x"}"#);
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        let st = s.status();
        assert!(st.dropped >= 90, "{st:?}");
        assert!(st.queued <= QUEUE_CAPACITY as u64, "{st:?}");
        assert_eq!(st.sent, 3, "{st:?}");
    }
}
