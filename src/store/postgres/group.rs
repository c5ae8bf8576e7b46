//! Group commit: the writes that reach the store while a transaction is committing wait
//! for it, then share the next transaction: one wait for the global write lock, one
//! change-log insert and one WAL flush for up to [`MAX_GROUP`] writes instead of one each.
//! Every write keeps the outcome it would have alone: when one of them fails in the
//! group (its row changed, a constraint refused it, its request id was answered
//! already), the transaction is rolled back, that write gets its own error, and the
//! others go again without it. A failure of the transaction itself (an outage, the
//! commit) is every member's. A run of case creates is one statement; a committed group
//! of case writes goes into the snapshot as decided, instead of being read back.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use tokio::sync::{MutexGuard, mpsc, oneshot};

use super::cases;
use super::sql::{WriteError, db_failure};
use super::write::write_prepared;
use super::{PostgresStore, WRITE_LOCK};
use crate::store::StoreError;
use crate::store::cases::CaseRecord;
use crate::store::request_ids::RequestKey;
use crate::store::state::Prepared;

/// The most writes one transaction takes.
const MAX_GROUP: usize = 64;

/// A decided write waiting for its transaction.
#[derive(Debug)]
pub(super) struct Job {
    /// What to write.
    pub(super) prepared: Arc<Prepared>,
    /// The request id to record the answer under, with the answer, if any.
    pub(super) once: Option<(RequestKey, Vec<u8>)>,
    /// Where the outcome goes: the change-log id the write is visible at, or why it
    /// was not written.
    pub(super) reply: oneshot::Sender<Result<u64, WriteError>>,
}

/// Why a group's transaction did not commit.
enum GroupError {
    /// Member `i` failed on its own.
    At(usize, WriteError),
    /// A run of creates written in one statement failed: which member, one by one
    /// will tell.
    Run,
    /// The transaction failed as a whole.
    Whole(StoreError),
}

/// A member that creates a case and records no request id: consecutive ones are
/// written in one statement.
fn plain_create(job: &Job) -> Option<&CaseRecord> {
    match &*job.prepared {
        Prepared::Case {
            write,
            read_through: false,
            unchanged: false,
        } if write.expected.is_none() && job.once.is_none() => Some(&write.record),
        _ => None,
    }
}

/// The same failure again, for another member of the group it struck.
fn again(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
        StoreError::WriteTimedOut { subject } => StoreError::WriteTimedOut {
            subject: subject.clone(),
        },
        other => StoreError::Internal(other.to_string()),
    }
}

/// Takes the writes queued on `jobs` and commits them in groups, until the store is
/// gone.
pub(super) async fn run(store: Weak<PostgresStore>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // A caller that gave up (its write timed out) was told the write failed: leave
        // it unwritten.
        group.retain(|j| !j.reply.is_closed());
        let Some(store) = store.upgrade() else { return };
        tracing::trace!(writes = group.len(), "group commit");
        store.commit_group(group).await;
    }
}

impl PostgresStore {
    /// Commits `group`, each member answered with its own outcome.
    async fn commit_group(&self, mut group: Vec<Job>) {
        let mut runs = true;
        while !group.is_empty() {
            let done = self
                .while_up(async { Ok(self.write_group(&group, runs).await) })
                .await
                .unwrap_or_else(|e| Err(GroupError::Whole(e)));
            match done {
                Ok((ids, applying)) => {
                    self.apply_own(&group, &ids, applying).await;
                    let last = ids.last().copied().unwrap_or(0) as u64;
                    for job in group {
                        let _ = job.reply.send(Ok(last));
                    }
                    return;
                }
                Err(GroupError::At(i, e)) => {
                    let _ = group.remove(i).reply.send(Err(e));
                }
                Err(GroupError::Run) => runs = false,
                Err(GroupError::Whole(e)) => {
                    for job in group {
                        let _ = job.reply.send(Err(WriteError::Failed(again(&e))));
                    }
                    return;
                }
            }
        }
    }

    /// Puts a committed group of case writes into the snapshot as decided, instead of
    /// reading each back (as catching up would), when nothing else was logged between
    /// the snapshot's watermark and them. Anything else is left to catching up.
    async fn apply_own(&self, group: &[Job], ids: &[i64], _applying: MutexGuard<'_, ()>) {
        let cases_only = group.iter().all(|j| {
            matches!(
                *j.prepared,
                Prepared::Case { .. } | Prepared::DeleteCase { .. }
            )
        });
        let Some(&last) = ids.last() else {
            return;
        };
        if !cases_only || ids.len() != group.len() {
            return;
        }
        let from = self.applied.load(Ordering::SeqCst) as i64;
        if from >= last {
            return;
        }
        // The group's ids following the watermark without a gap are nothing but the
        // group's; otherwise the log says whether anything else is in between.
        let follows = ids.first() == Some(&(from + 1)) && ids.windows(2).all(|w| w[1] == w[0] + 1);
        if !follows {
            let others: Result<i64, _> = sqlx::query_scalar(
                "select count(*) from change_log where id > $1 and id <= $2 and id <> all($3)",
            )
            .bind(from)
            .bind(last)
            .bind(ids)
            .fetch_one(&self.pool)
            .await;
            if others.ok() != Some(0) {
                return;
            }
        }
        {
            let mut state = self.snapshot.write();
            for (job, id) in group.iter().zip(ids) {
                if *id > from {
                    state.commit((*job.prepared).clone());
                }
            }
        }
        self.set_applied(last as u64);
    }

    /// Writes every member of `group` in one transaction (consecutive creates in one
    /// statement, with `runs`); returns the change-log ids it appended, one per member
    /// in order (each member is visible once the snapshot applied its id), and the
    /// right to apply them to the snapshot, taken before the commit so that the
    /// listener, woken by the commit, does not read them back first.
    async fn write_group(
        &self,
        group: &[Job],
        runs: bool,
    ) -> Result<(Vec<i64>, MutexGuard<'_, ()>), GroupError> {
        let whole = |what: &'static str| move |e| GroupError::Whole(db_failure(e, what));
        // One round trip: every statement after `set local`, the wait for the write lock
        // included, is cancelled past the write timeout (for this transaction only; in a
        // simple query each statement has its own timeout). Change-log ids commit in
        // order: the lock orders the transactions.
        let begin = format!(
            "begin; set local statement_timeout = '{}'; select pg_advisory_xact_lock({WRITE_LOCK})",
            self.statement_timeout
        );
        let mut tx = self
            .pool
            .begin_with(sqlx::AssertSqlSafe(begin))
            .await
            .map_err(whole("write lock"))?;
        let mut entities = Vec::with_capacity(group.len());
        let mut keys = Vec::with_capacity(group.len());
        let mut run: Vec<&CaseRecord> = Vec::new();
        for (i, job) in group.iter().enumerate() {
            if runs && let Some(rec) = plain_create(job) {
                run.push(rec);
                if group.get(i + 1).and_then(plain_create).is_none() {
                    let written = cases::insert_cases(&mut tx, &run)
                        .await
                        .map_err(|_| GroupError::Run)?;
                    entities.extend(written.iter().map(|_| "case"));
                    keys.extend(written);
                    run.clear();
                }
                continue;
            }
            let at =
                |e: sqlx::Error| GroupError::At(i, WriteError::Failed(db_failure(e, "request id")));
            if let Some((request, answer)) = &job.once {
                // Writes are serialised by the lock above, so an earlier attempt with the
                // same id has committed by now: its row is here and this one writes nothing.
                let done = sqlx::query(
                    "insert into request_ids (request_id, method, fingerprint, response) \
                     values ($1::uuid, $2, $3, $4) \
                     on conflict (request_id) do update set method = excluded.method, \
                     fingerprint = excluded.fingerprint, response = excluded.response, \
                     error_code = null, error_message = null, error_details = null, \
                     created_at = now() \
                     where request_ids.created_at < now() - interval '24 hours'",
                )
                .bind(request.id.to_string())
                .bind(&request.method)
                .bind(&request.fingerprint)
                .bind(answer)
                .execute(&mut *tx)
                .await
                .map_err(at)?;
                if done.rows_affected() == 0 {
                    return Err(GroupError::At(i, WriteError::Failed(StoreError::Replayed)));
                }
            }
            let (entity, key) = write_prepared(&mut tx, &job.prepared)
                .await
                .map_err(|e| GroupError::At(i, e))?;
            entities.push(entity);
            keys.push(key);
        }
        // Ids are drawn in the order the rows are produced, so sorted they are the
        // members' ids in order.
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "insert into change_log (entity, key) \
             select e, k from unnest($1::text[], $2::text[]) with ordinality as u(e, k, n) \
             order by n returning id",
        )
        .bind(&entities)
        .bind(&keys)
        .fetch_all(&mut *tx)
        .await
        .map_err(whole("change log"))?;
        ids.sort_unstable();
        let applying = self.sync.lock().await;
        tx.commit().await.map_err(whole("commit"))?;
        Ok((ids, applying))
    }
}
