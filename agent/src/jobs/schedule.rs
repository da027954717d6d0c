//! Which queued jobs may start: at most `max` at once, first come first served, and a rollback runs alone.

use std::collections::VecDeque;

/// A queued or running job as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    /// Job id.
    pub id: &'a str,
    /// Whether it is a rollback (exclusive).
    pub exclusive: bool,
}

/// Ids to start now, in order. `running` are the jobs running; `queue` the waiting ones, oldest first.
/// A rollback waits until nothing runs and then runs alone; jobs behind it wait for it (no overtaking).
pub fn next_to_start<'a>(running: &[Slot<'_>], queue: &VecDeque<Slot<'a>>, max: usize) -> Vec<&'a str> {
    if running.iter().any(|s| s.exclusive) {
        return Vec::new();
    }
    let mut started = Vec::new();
    for (busy, slot) in (running.len()..).zip(queue) {
        if slot.exclusive {
            if busy == 0 {
                started.push(slot.id);
            }
            break;
        }
        if busy >= max {
            break;
        }
        started.push(slot.id);
    }
    started
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(items: &[(&'static str, bool)]) -> VecDeque<Slot<'static>> {
        items
            .iter()
            .map(|(id, exclusive)| Slot {
                id,
                exclusive: *exclusive,
            })
            .collect()
    }

    #[test]
    fn fills_up_to_the_limit_in_order() {
        let queue = q(&[("a", false), ("b", false), ("c", false)]);
        assert_eq!(next_to_start(&[], &queue, 2), ["a", "b"]);
        let running = [Slot {
            id: "x",
            exclusive: false,
        }];
        assert_eq!(next_to_start(&running, &queue, 2), ["a"]);
        assert!(next_to_start(
            &[Slot {
                id: "x",
                exclusive: false
            }; 2],
            &queue,
            2
        )
        .is_empty());
    }

    #[test]
    fn a_rollback_runs_alone_and_is_not_overtaken() {
        let queue = q(&[("r", true), ("b", false)]);
        let running = [Slot {
            id: "x",
            exclusive: false,
        }];
        assert!(
            next_to_start(&running, &queue, 5).is_empty(),
            "waits for running jobs, b waits behind it"
        );
        assert_eq!(next_to_start(&[], &queue, 5), ["r"]);
        let rolling = [Slot {
            id: "r",
            exclusive: true,
        }];
        assert!(
            next_to_start(&rolling, &q(&[("b", false)]), 5).is_empty(),
            "nothing starts beside a rollback"
        );
        assert_eq!(next_to_start(&[], &q(&[("a", false), ("r", true)]), 5), ["a"]);
    }
}
