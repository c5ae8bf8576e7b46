//! The Postgres store: Postgres is the source of truth, and every server keeps the whole
//! state in its in-memory [`Snapshot`], so checks and deadlines never wait on the database.
//!
//! Writes are decided against the snapshot by `app` (the same rules as the memory
//! store), then written, with the others in flight (`group`), in one transaction whose
//! `where version = ...` clauses and constraints (unique names, the contract-overlap
//! exclusion, the designated-contact limit trigger, foreign keys) refuse anything a stale
//! snapshot let through; a stale write is retried after catching up, and a refusal that
//! depends on stored state is decided again after catching up once. Each write appends
//! to `change_log`, whose id is the write's consistency token, and a trigger NOTIFYs
//! every server; a listener task applies the changed entities to its snapshot, and
//! reloads everything after a reconnect, since notifications sent while disconnected are
//! lost. When Postgres is unreachable, reads go
//! on from the snapshot, writes fail UNAVAILABLE and the write services report
//! NOT_SERVING until it returns. An outage is seen within half a second by a probe on a
//! connection of its own (never queued behind the pool), and every wait on Postgres a
//! write makes is abandoned the moment it is seen.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::types::Json;
use tokio::sync::watch;

mod cases;
mod catch_up;
mod group;
mod load;
mod sql;
mod write;

use super::cases::CaseRecord;
use super::records::Revision;
use super::request_ids::{Answer, Recorded, Render, RequestKey};
use super::{Applied, Decide, Snapshot, Store, StoreError};
use crate::domain::Contract;
use crate::names::Name;
use load::{install_builtin_plans, load_all};
use sql::{WriteError, db_error, db_failure, internal};

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The NOTIFY channel the change log trigger signals on.
const CHANNEL: &str = "entitlements_changes";
/// How long a read carrying a consistency token waits for the notification before it
/// reads through to Postgres.
const TOKEN_WAIT: Duration = Duration::from_millis(500);
/// How many change-log rows catching up reads at a time.
const CATCH_UP_PAGE: i64 = 1000;
/// How often the listener checks the change log even without a notification.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How often a write retries after finding the snapshot stale.
const STALE_RETRIES: usize = 200;
/// Key of the advisory lock that orders writes, so change-log ids commit in order.
const WRITE_LOCK: i64 = 0x656e_7469_746c;
/// How often the outage probe pings Postgres on its own connection.
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// How long a ping (or the probe's reconnect) may take before Postgres counts as
/// unreachable. With [`PROBE_EVERY`] this bounds detection to under 0.5 s.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a committed write waits for the snapshot to include it before it answers
/// anyway (the listener applies it when it can); keeps the acknowledgement within 100 ms
/// of the commit even when Postgres dies right after it.
const ACK_CATCH_UP: Duration = Duration::from_millis(50);
/// How often expired request ids are deleted.
const EXPIRE_EVERY: Duration = Duration::from_secs(300);
/// The longest a write waits for a pooled connection (less if the write timeout is).
const MAX_ACQUIRE: Duration = Duration::from_secs(3);

/// A store whose source of truth is Postgres.
#[derive(Debug)]
pub struct PostgresStore {
    /// Connections.
    pool: PgPool,
    /// Postgres' `statement_timeout` for write transactions, e.g. `5000ms`.
    statement_timeout: String,
    /// The write timeout itself: the bound on a whole write, waits included.
    write_timeout: Duration,
    /// The in-memory state every read is answered from.
    snapshot: Snapshot,
    /// The highest change-log id applied to the snapshot.
    applied: AtomicU64,
    /// The highest change-log id this process wrote.
    written: AtomicU64,
    /// Signalled whenever `applied` advances.
    applied_tx: watch::Sender<u64>,
    /// Whether Postgres is reachable (writes possible).
    writable: watch::Sender<bool>,
    /// When the snapshot was last confirmed current against Postgres.
    confirmed: Mutex<Instant>,
    /// Serialises catching up, so entities are applied in change-log order.
    sync: tokio::sync::Mutex<()>,
    /// Decided writes, queued for the group commit.
    jobs: tokio::sync::mpsc::UnboundedSender<group::Job>,
}

/// How the server uses its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresSettings {
    /// Apply the migrations at start.
    pub migrate: bool,
    /// The longest a whole write may take (waiting for a connection, its transaction,
    /// recording its request id); past it the write fails UNAVAILABLE. Each statement of
    /// the transaction may run, or wait for a lock, four fifths of it before Postgres
    /// cancels it and the write fails with nothing written (STORE_BUSY). Without it, a
    /// write blocked on a lock held elsewhere would hold its connection, and the global
    /// write lock, long after its caller gave up. Snapshot loads are not bounded by it.
    pub write_timeout: Duration,
}

impl PostgresSettings {
    /// The default write timeout.
    pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

    /// Settings with the default write timeout.
    pub fn new(migrate: bool) -> PostgresSettings {
        PostgresSettings {
            migrate,
            write_timeout: Self::DEFAULT_WRITE_TIMEOUT,
        }
    }
}

impl PostgresStore {
    /// Connects to `url`, optionally migrates, installs the built-in plans and loads the
    /// snapshot.
    pub async fn connect(
        url: &str,
        settings: PostgresSettings,
    ) -> Result<Arc<PostgresStore>, StoreError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?;
        Self::connect_with(options, settings).await
    }

    /// Like [`PostgresStore::connect`], with parsed connection options.
    pub async fn connect_with(
        options: PgConnectOptions,
        settings: PostgresSettings,
    ) -> Result<Arc<PostgresStore>, StoreError> {
        let probe_options = options.clone();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            // Half the write timeout at most, so a write that waited for a connection
            // still has time to run before its own bound.
            .acquire_timeout((settings.write_timeout / 2).min(MAX_ACQUIRE))
            .connect_with(options)
            .await
            .map_err(|e| db_failure(e, "database"))?;
        if settings.migrate {
            MIGRATOR
                .run(&pool)
                .await
                .map_err(|e| internal("migrations", e))?;
        }
        install_builtin_plans(&pool).await?;
        let (state, applied) = load_all(&pool).await?;
        // Postgres' statement_timeout in milliseconds (0 would mean none): four fifths of
        // the write timeout, so that a statement stuck on a lock is cancelled by Postgres
        // (nothing written, STORE_BUSY) before the bound on the whole write runs out.
        let statement_timeout =
            (settings.write_timeout.as_millis() * 4 / 5).clamp(1, i32::MAX as u128);
        let (applied_tx, _) = watch::channel(applied);
        let (writable, _) = watch::channel(true);
        let (jobs, queued) = tokio::sync::mpsc::unbounded_channel();
        let store = Arc::new(PostgresStore {
            pool,
            statement_timeout: format!("{statement_timeout}ms"),
            write_timeout: settings.write_timeout,
            snapshot: Snapshot::new(state),
            applied: AtomicU64::new(applied),
            written: AtomicU64::new(0),
            applied_tx,
            writable,
            confirmed: Mutex::new(Instant::now()),
            sync: tokio::sync::Mutex::new(()),
            jobs,
        });
        tokio::spawn(group::run(Arc::downgrade(&store), queued));
        tokio::spawn(listen(Arc::downgrade(&store)));
        tokio::spawn(probe(Arc::downgrade(&store), probe_options));
        tokio::spawn(expire(Arc::downgrade(&store)));
        Ok(store)
    }

    /// Applies the migrations (under sqlx's advisory lock) and returns.
    pub async fn migrate(url: &str) -> Result<(), StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| db_failure(e, "database"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| internal("migrations", e))?;
        install_builtin_plans(&pool).await?;
        pool.close().await;
        Ok(())
    }

    fn set_applied(&self, id: u64) {
        self.applied.fetch_max(id, Ordering::SeqCst);
        self.applied_tx
            .send_replace(self.applied.load(Ordering::SeqCst));
    }

    fn confirm(&self) {
        *self.confirmed.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// Marks Postgres unreachable: writes fail at once, the write services report
    /// NOT_SERVING, and the listener reconnects and reloads.
    fn mark_down(&self, why: &dyn std::fmt::Display) {
        if self.writable.send_replace(false) {
            tracing::warn!(error = %why, "Postgres unreachable; serving reads from the snapshot");
        }
    }

    /// Runs `work` against Postgres unless it is, or becomes, unreachable: then fails
    /// UNAVAILABLE at once instead of waiting out a pool acquire or a dead connection.
    async fn while_up<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let mut up = self.writable.subscribe();
        if !*up.borrow_and_update() {
            return Err(StoreError::Unavailable("Postgres is unreachable".into()));
        }
        tokio::select! {
            done = work => done,
            _ = up.wait_for(|w| !*w) => {
                Err(StoreError::Unavailable("Postgres became unreachable".into()))
            }
        }
    }

    /// Puts the contract's designated contact limit, from its terms in the snapshot,
    /// into a quota error the database's limit trigger raised (the trigger's message is
    /// not parsed).
    fn fill_contact_limit(&self, e: &mut StoreError) {
        if let StoreError::QuotaExceeded {
            subject: Name::Contract { account, id },
            limit,
        } = e
        {
            let state = self.snapshot.read();
            if let Some(terms) = state
                .contract(account, id)
                .and_then(|c| state.terms_of(&c.contract).ok())
            {
                *limit = terms.designated_contact_limit;
            }
        }
    }

    /// Writes what `decide` decides, and with `once` records the answer it renders
    /// under its request id in the write's transaction; returns what was applied and
    /// that answer.
    async fn apply_recorded(
        &self,
        decide: Decide<'_>,
        once: Option<(&RequestKey, Render<'_>)>,
    ) -> Result<(Applied, Option<Vec<u8>>), StoreError> {
        if !*self.writable.borrow() {
            return Err(StoreError::Unavailable("Postgres is unreachable".into()));
        }
        let mut caught_up = false;
        let mut rechecked = false;
        for _ in 0..STALE_RETRIES {
            let decided = decide(&self.snapshot.read(), Utc::now());
            let prepared = match decided {
                Ok(prepared) => Arc::new(prepared),
                // A refusal that depends on stored state, decided on a snapshot that may be
                // behind (another replica's write not applied yet): catch up once and
                // decide again, so that a refusal reflects every write committed before
                // it. Rules on the request alone (a domain error) need no catching up.
                Err(e) if !rechecked && !matches!(e, StoreError::Domain(_)) => {
                    rechecked = true;
                    self.catch_up().await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let answer = match once {
                Some((key, render)) => Some((
                    key.clone(),
                    render(prepared.applied()).map_err(|e| internal("rendering the answer", e))?,
                )),
                None => None,
            };
            // Past an outage the write is abandoned at once (it may or may not have
            // committed, as with any write cut off by a failure; `request_id` makes the
            // retry safe).
            let (reply, outcome) = tokio::sync::oneshot::channel();
            let job = group::Job {
                prepared: prepared.clone(),
                once: answer.clone(),
                reply,
            };
            let written = match self.jobs.send(job) {
                Ok(()) => self
                    .while_up(async {
                        outcome.await.map_err(|_| {
                            StoreError::Unavailable("the store's writer stopped".into())
                        })
                    })
                    .await
                    .map_err(WriteError::Failed)
                    .and_then(|r| r),
                Err(_) => Err(WriteError::Failed(StoreError::Unavailable(
                    "the store's writer stopped".into(),
                ))),
            };
            match written {
                Ok(id) => {
                    self.written.fetch_max(id, Ordering::SeqCst);
                    // Best effort and bounded, so the answer goes out soon after the
                    // commit: the listener applies the write too if this does not.
                    let applied = self.applied.load(Ordering::SeqCst) >= id;
                    match tokio::time::timeout(ACK_CATCH_UP, async {
                        if applied {
                            Ok(())
                        } else {
                            self.catch_up().await
                        }
                    })
                    .await
                    {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "catching up after a write"),
                        Err(_) => tracing::debug!("acknowledging before the snapshot caught up"),
                    }
                    return Ok((prepared.applied(), answer.map(|(_, bytes)| bytes)));
                }
                Err(WriteError::Stale) => self.catch_up().await?,
                // A constraint refused what the snapshot's rules let through: the snapshot
                // is behind. Catch up once and prepare again, so that the rules report
                // the conflict, worded as the memory store words it.
                Err(WriteError::Failed(e)) if e.is_conflict() && !caught_up => {
                    caught_up = true;
                    self.catch_up().await?;
                }
                Err(WriteError::Failed(mut e)) => {
                    self.fill_contact_limit(&mut e);
                    if let StoreError::Unavailable(why) = &e {
                        self.mark_down(why);
                    }
                    return Err(e);
                }
            }
        }
        Err(StoreError::Unavailable(
            "too much contention on this resource; retry".into(),
        ))
    }

    /// Forgets request ids older than their retention (any replica may; deleting twice
    /// is harmless).
    async fn expire_request_ids(&self) -> Result<(), StoreError> {
        self.while_up(async {
            sqlx::query("delete from request_ids where created_at < now() - interval '24 hours'")
                .execute(&self.pool)
                .await
                .map_err(|e| db_failure(e, "request ids"))
        })
        .await?;
        Ok(())
    }

    /// The contract revisions, read from Postgres (they are not kept in memory).
    async fn load_revisions(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Vec<Revision>, StoreError> {
        let rows = sqlx::query(
            "select version, principal, action, before, after, created_at from contract_revisions \
             where account_id = $1 and contract_id = $2 order by version",
        )
        .bind(account_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error(e, &Name::contract(account_id, id)))?;
        rows.into_iter()
            .map(|r| {
                let before: Option<Json<Contract>> =
                    r.try_get("before").map_err(|e| internal("revision", e))?;
                let after: Json<Contract> =
                    r.try_get("after").map_err(|e| internal("revision", e))?;
                Ok(Revision {
                    version: r.get("version"),
                    principal: r.get("principal"),
                    action: r.get("action"),
                    at: r.get("created_at"),
                    before: before.map(|j| j.0),
                    after: after.0,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    async fn apply(&self, decide: Decide<'_>) -> Result<Applied, StoreError> {
        Ok(self.apply_recorded(decide, None).await?.0)
    }

    async fn recall(&self, id: &uuid::Uuid) -> Result<Option<Recorded>, StoreError> {
        let row = self
            .while_up(async {
                sqlx::query(
                    "select method, fingerprint, response, error_code, error_message, \
                     error_details from request_ids \
                     where request_id = $1::uuid and created_at > now() - interval '24 hours'",
                )
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_failure(e, "request id"))
            })
            .await?;
        Ok(row.map(|r| Recorded {
            key: RequestKey {
                id: *id,
                method: r.get("method"),
                fingerprint: r.get("fingerprint"),
            },
            answer: match r.get::<Option<Vec<u8>>, _>("response") {
                Some(bytes) => Answer::Response(bytes),
                None => Answer::Error {
                    code: r.get::<Option<i32>, _>("error_code").unwrap_or(2),
                    message: r
                        .get::<Option<String>, _>("error_message")
                        .unwrap_or_default(),
                    details: r
                        .get::<Option<Vec<u8>>, _>("error_details")
                        .unwrap_or_default(),
                },
            },
        }))
    }

    async fn apply_once(
        &self,
        decide: Decide<'_>,
        key: &RequestKey,
        render: Render<'_>,
    ) -> Result<Vec<u8>, StoreError> {
        let (_, answer) = self.apply_recorded(decide, Some((key, render))).await?;
        answer.ok_or_else(|| internal("request id", "no answer was rendered"))
    }

    async fn remember(&self, key: &RequestKey, answer: Answer) -> Result<(), StoreError> {
        let Answer::Error {
            code,
            message,
            details,
        } = answer
        else {
            return Err(internal(
                "request id",
                "only errors are remembered on their own",
            ));
        };
        self.while_up(async {
            sqlx::query(
                "insert into request_ids (request_id, method, fingerprint, error_code, \
                 error_message, error_details) values ($1::uuid, $2, $3, $4, $5, $6) \
                 on conflict (request_id) do nothing",
            )
            .bind(key.id.to_string())
            .bind(&key.method)
            .bind(&key.fingerprint)
            .bind(code)
            .bind(message)
            .bind(details)
            .execute(&self.pool)
            .await
            .map_err(|e| db_failure(e, "request id"))
        })
        .await?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn write_timeout(&self) -> Option<Duration> {
        Some(self.write_timeout)
    }

    fn consistency_token(&self) -> u64 {
        self.applied
            .load(Ordering::SeqCst)
            .max(self.written.load(Ordering::SeqCst))
    }

    async fn wait_for(&self, token: u64) -> Result<(), StoreError> {
        let mut rx = self.applied_tx.subscribe();
        let reached = tokio::time::timeout(TOKEN_WAIT, rx.wait_for(|a| *a >= token))
            .await
            .is_ok_and(|r| r.is_ok());
        if reached {
            return Ok(());
        }
        // The notification has not arrived: read through to Postgres.
        self.catch_up().await?;
        if self.applied.load(Ordering::SeqCst) >= token {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "consistency token {token} is ahead of the database"
            )))
        }
    }

    fn snapshot_age(&self) -> Duration {
        self.confirmed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    fn writable(&self) -> watch::Receiver<bool> {
        self.writable.subscribe()
    }

    async fn revisions(&self, account_id: &str, id: &str) -> Result<Vec<Revision>, StoreError> {
        self.load_revisions(account_id, id).await
    }

    async fn read_case(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Option<CaseRecord>, StoreError> {
        if let Some(rec) = self.snapshot.read().case(account_id, id) {
            return Ok(Some(rec.clone()));
        }
        self.while_up(async {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| db_failure(e, "database"))?;
            cases::load_case(&mut conn, account_id, id).await
        })
        .await
    }

    async fn resolved_cases(
        &self,
        account: Option<&str>,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.while_up(async {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| db_failure(e, "database"))?;
            cases::load_resolved_cases(&mut conn, account, after, limit).await
        })
        .await
    }
}

/// Keeps the snapshot current: LISTEN for changes, check the log every heartbeat, and on
/// any connection loss mark the store unwritable, reconnect, reload everything and mark
/// it writable again. Ends when the store is dropped.
async fn listen(store: std::sync::Weak<PostgresStore>) {
    let mut first = true;
    loop {
        let Some(s) = store.upgrade() else { return };
        let connected = async {
            let mut listener = PgListener::connect_with(&s.pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        let mut listener = match connected {
            Ok(l) => l,
            Err(e) => {
                s.mark_down(&e);
                drop(s);
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
        };
        // Notifications sent while disconnected are lost: reload everything.
        if !first {
            if let Err(e) = s.reload_all().await {
                tracing::warn!(error = %e, "reloading the snapshot");
                drop(s);
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            tracing::info!("Postgres reachable again; snapshot reloaded");
        }
        first = false;
        s.writable.send_replace(true);
        let mut up = s.writable.subscribe();
        drop(s);
        loop {
            // Marked down elsewhere (the probe, a failed write): reconnect and reload.
            let next = tokio::select! {
                next = tokio::time::timeout(HEARTBEAT, listener.try_recv()) => Some(next),
                _ = up.wait_for(|w| !*w) => None,
            };
            let Some(s) = store.upgrade() else { return };
            let ok = match next {
                Some(Ok(Ok(Some(_))) | Err(_)) => s.catch_up().await.is_ok(),
                Some(Ok(Ok(None)) | Ok(Err(_))) | None => false,
            };
            if !ok {
                s.mark_down(&"lost the Postgres connection");
                break;
            }
        }
    }
}

/// Forgets expired request ids every few minutes. Ends when the store is dropped.
async fn expire(store: std::sync::Weak<PostgresStore>) {
    loop {
        tokio::time::sleep(EXPIRE_EVERY).await;
        let Some(s) = store.upgrade() else { return };
        if let Err(e) = s.expire_request_ids().await {
            tracing::debug!(error = %e, "forgetting expired request ids");
        }
    }
}

/// Watches Postgres on a connection of its own, outside the pool, every [`PROBE_EVERY`]:
/// a ping that fails, or takes longer than [`PROBE_TIMEOUT`], marks the store down at
/// once, whatever the pool and the listener are busy with (a catch-up waiting for a
/// pooled connection, say). Coming back up is the listener's job: it reconnects,
/// reloads the snapshot and marks the store writable. Ends when the store is dropped.
async fn probe(store: std::sync::Weak<PostgresStore>, options: PgConnectOptions) {
    use sqlx::Connection as _;
    let mut connection: Option<PgConnection> = None;
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(s) = store.upgrade() else { return };
        let outcome = match connection.as_mut() {
            Some(c) => match tokio::time::timeout(PROBE_TIMEOUT, c.ping()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("a ping to Postgres timed out".to_owned()),
            },
            None => {
                match tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(&options))
                    .await
                {
                    Ok(Ok(c)) => {
                        connection = Some(c);
                        Ok(())
                    }
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("connecting to Postgres timed out".to_owned()),
                }
            }
        };
        if let Err(why) = outcome {
            connection = None;
            s.mark_down(&why);
        }
    }
}
