//! `RollbackLock`: while a rollback runs the agent is in exclusive mode; every request but health gets 503.

use actix::prelude::*;

/// Seconds a refused client is told to wait.
pub const RETRY_AFTER_SECS: u64 = 5;

/// Holds the id of the rollback job that has the agent to itself, if any.
#[derive(Debug, Default)]
pub struct RollbackLock {
    holder: Option<String>,
}

impl Actor for RollbackLock {
    type Context = Context<Self>;
}

/// Command: enter exclusive mode for `job`. Fails with the current holder when already held.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), String>")]
pub struct AcquireLock {
    /// The rollback job.
    pub job: String,
}

/// Command: leave exclusive mode (only the holder can).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ReleaseLock {
    /// The rollback job.
    pub job: String,
}

/// Query: the job holding the lock.
#[derive(Debug, Message)]
#[rtype(result = "Option<String>")]
pub struct GetStatus;

impl Handler<AcquireLock> for RollbackLock {
    type Result = Result<(), String>;

    fn handle(&mut self, msg: AcquireLock, _: &mut Context<Self>) -> Self::Result {
        match &self.holder {
            Some(h) if *h != msg.job => Err(h.clone()),
            _ => {
                self.holder = Some(msg.job);
                Ok(())
            }
        }
    }
}

impl Handler<ReleaseLock> for RollbackLock {
    type Result = ();

    fn handle(&mut self, msg: ReleaseLock, _: &mut Context<Self>) {
        if self.holder.as_deref() == Some(msg.job.as_str()) {
            self.holder = None;
        }
    }
}

impl Handler<GetStatus> for RollbackLock {
    type Result = Option<String>;

    fn handle(&mut self, _: GetStatus, _: &mut Context<Self>) -> Self::Result {
        self.holder.clone()
    }
}

/// The rollback job holding the agent, if any (a stopped lock counts as free).
pub async fn holder(addr: &Addr<RollbackLock>) -> Option<String> {
    addr.send(GetStatus).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn only_one_holder_and_only_the_holder_releases() {
        let lock = RollbackLock::default().start();
        assert_eq!(holder(&lock).await, None);
        lock.send(AcquireLock { job: "a".into() }).await.unwrap().unwrap();
        assert_eq!(
            lock.send(AcquireLock { job: "b".into() }).await.unwrap(),
            Err("a".into())
        );
        lock.send(ReleaseLock { job: "b".into() }).await.unwrap();
        assert_eq!(holder(&lock).await.as_deref(), Some("a"));
        lock.send(ReleaseLock { job: "a".into() }).await.unwrap();
        assert_eq!(holder(&lock).await, None);
    }
}
