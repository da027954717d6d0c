//! One changing package-manager run at a time within a backend, waited for with a time limit (the tool's own
//! lock serialises against other processes; this one keeps our runs from racing each other's repairs).

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

/// A busy flag with a wait queue.
#[derive(Debug, Default)]
pub struct Gate {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// Holding this means the gate is ours; dropping it lets the next waiter in.
#[derive(Debug)]
pub struct Entered<'a>(&'a Gate);

impl Gate {
    /// Waits up to `wait` for the gate; `None` when it stayed busy that long.
    pub fn enter(&self, wait: Duration) -> Option<Entered<'_>> {
        let busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut busy, _) = self
            .freed
            .wait_timeout_while(busy, wait, |b| *b)
            .unwrap_or_else(PoisonError::into_inner);
        if *busy {
            return None;
        }
        *busy = true;
        Some(Entered(self))
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::Gate;
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    #[test]
    fn second_caller_waits_or_gives_up() {
        let g = Arc::new(Gate::default());
        let held = g.enter(Duration::ZERO).unwrap();
        assert!(g.enter(Duration::from_millis(100)).is_none(), "busy: gives up");
        let (tx, rx) = mpsc::channel();
        let g2 = Arc::clone(&g);
        let waiter = std::thread::spawn(move || {
            let entered = g2.enter(Duration::from_secs(30)).is_some();
            let _ = tx.send(());
            entered
        });
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(300)),
            Err(mpsc::RecvTimeoutError::Timeout),
            "the waiter stays out while the gate is held"
        );
        drop(held);
        assert!(waiter.join().unwrap(), "gets in once freed");
        assert!(
            g.enter(Duration::ZERO).is_some(),
            "free again after the waiter left"
        );
    }
}
