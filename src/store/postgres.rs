//! The Postgres store: Postgres is the source of truth, and every server keeps the whole
//! state in its in-memory [`Snapshot`], so checks and deadlines never wait on the database.
//!
//! Writes are checked against the snapshot by [`State::prepare`] (the same rules as the
//! memory store), then written in one transaction whose `where version = ...` clauses and
//! constraints (unique names, the contract-overlap exclusion, the designated-contact limit
//! trigger, foreign keys) refuse anything a stale snapshot let through; a stale write is
//! retried after catching up. Each write appends to `change_log`, whose id is the write's
//! consistency token, and a trigger NOTIFYs every server; a listener task applies the
//! changed entities to its snapshot, and reloads everything after a reconnect, since
//! notifications sent while disconnected are lost. When Postgres is unreachable, reads go
//! on from the snapshot, writes fail UNAVAILABLE and the write services report
//! NOT_SERVING until it returns. An outage is seen within half a second by a probe on a
//! connection of its own (never queued behind the pool), and every wait on Postgres a
//! write makes is abandoned the moment it is seen.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Utc, Weekday};
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions, PgQueryResult,
    PgRow,
};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::watch;

use super::records::{AccountRecord, CalendarRecord, ContractRecord, Meta, PlanRecord, Revision};
use super::request_ids::{Answer, Recorded, Render, RequestKey};
use super::state::Prepared;
use super::{Applied, Decide, Snapshot, State, Store, StoreError};
use crate::domain::catalog::{BenefitSet, TermsTable, builtin_plans, terms_table};
use crate::domain::{
    Calendar, ClosedDate, Completion, Contract, ContractState, DateException, DesignatedContact,
    ObligationKind, OpenInterval, Plan, PriorityTerms, SpecialDate,
};
use crate::names::Name;

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The NOTIFY channel the change log trigger signals on.
const CHANNEL: &str = "entitlements_changes";
/// How long a read carrying a consistency token waits for the notification before it
/// reads through to Postgres.
const TOKEN_WAIT: Duration = Duration::from_millis(500);
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
    write_timeout: String,
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
}

/// Maps a database error met writing resource `subject` to a store error. Constraint
/// names map to the same client errors (and the same wording) the snapshot's rules give,
/// here and nowhere else; what the constraint cannot say (which other contract overlaps,
/// the contact limit) is left out or filled in by [`PostgresStore::apply`].
fn db_error(e: sqlx::Error, subject: &Name) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let constraint = db.constraint().unwrap_or_default();
        match (db.code().as_deref(), constraint) {
            (Some("23505"), _) => return StoreError::AlreadyExists(subject.clone()),
            (Some("23P01"), _) => return StoreError::contract_overlap(subject.clone(), None),
            (Some("P0001"), "designated_contacts_limit") => {
                return StoreError::QuotaExceeded {
                    subject: subject.clone(),
                    limit: 0,
                };
            }
            (Some("23503"), c) if c.starts_with("accounts_calendar_id") => {
                return StoreError::calendar_in_use(subject.clone(), None);
            }
            (Some("23503"), c) if c.starts_with("contracts_account_id") => {
                return StoreError::account_has_contracts(subject.clone(), None);
            }
            (Some("23503"), _) => return StoreError::NotFound(subject.clone()),
            _ => {}
        }
    }
    db_failure(e, &subject.to_string())
}

/// Maps a database error met doing `what` (not about one resource) to a store error.
fn db_failure(e: sqlx::Error, what: &str) -> StoreError {
    match &e {
        // query_canceled: the write timeout (statement_timeout) ran out.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            StoreError::WriteTimedOut {
                subject: what.to_owned(),
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Internal(format!("{what}: {e}")),
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("{what}: {e}"))
}

/// A write refused because the snapshot it was prepared against is behind.
#[derive(Debug)]
enum WriteError {
    /// The row changed since the snapshot read it: catch up and prepare again.
    Stale,
    /// Any other failure.
    Failed(StoreError),
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError::Failed(e)
    }
}

/// A conditional write's outcome: touching no row means the row changed since the
/// snapshot the write was prepared against read it.
fn touched(done: PgQueryResult) -> Result<(), WriteError> {
    if done.rows_affected() == 0 {
        Err(WriteError::Stale)
    } else {
        Ok(())
    }
}

fn state_key(s: ContractState) -> &'static str {
    match s {
        ContractState::Active => "active",
        ContractState::Suspended => "suspended",
        ContractState::Terminated => "terminated",
    }
}

/// Weekly hours as stored: seven lists, Monday first.
type WeeklyRow = Vec<Vec<OpenInterval>>;

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// How the server uses its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresSettings {
    /// Apply the migrations at start.
    pub migrate: bool,
    /// How long each statement of a write transaction may run, or wait for a lock, before
    /// Postgres cancels it and the write fails (nothing written). Without it, a write
    /// blocked on a lock held elsewhere would hold its connection, and the global write
    /// lock, long after its caller gave up. Snapshot loads are not bounded by it.
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
            .acquire_timeout(settings.write_timeout.min(MAX_ACQUIRE))
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
        // Postgres' statement_timeout in milliseconds (0 would mean none).
        let write_timeout = settings
            .write_timeout
            .as_millis()
            .clamp(1, i32::MAX as u128);
        let (applied_tx, _) = watch::channel(applied);
        let (writable, _) = watch::channel(true);
        let store = Arc::new(PostgresStore {
            pool,
            write_timeout: format!("{write_timeout}ms"),
            snapshot: Snapshot::new(state),
            applied: AtomicU64::new(applied),
            written: AtomicU64::new(0),
            applied_tx,
            writable,
            confirmed: Mutex::new(Instant::now()),
            sync: tokio::sync::Mutex::new(()),
        });
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

    /// Applies every change logged after the snapshot's watermark, in order; fails at
    /// once while Postgres is unreachable (the listener reloads everything on reconnect).
    async fn catch_up(&self) -> Result<(), StoreError> {
        self.while_up(self.catch_up_now()).await
    }

    async fn catch_up_now(&self) -> Result<(), StoreError> {
        let _guard = self.sync.lock().await;
        let from = self.applied.load(Ordering::SeqCst) as i64;
        let rows = sqlx::query("select id, entity, key from change_log where id > $1 order by id")
            .bind(from)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_failure(e, "change log"))?;
        let mut seen = BTreeSet::new();
        let mut last = from;
        for row in rows {
            let id: i64 = row.get("id");
            let entity: String = row.get("entity");
            let key: String = row.get("key");
            last = id;
            if seen.insert((entity.clone(), key.clone())) {
                self.reload(&entity, &key).await?;
            }
        }
        self.set_applied(last as u64);
        self.confirm();
        Ok(())
    }

    /// Reloads one entity from Postgres into the snapshot.
    async fn reload(&self, entity: &str, key: &str) -> Result<(), StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| db_failure(e, "database"))?;
        let db = &mut *conn;
        match entity {
            "plan" => {
                let rec = load_plans(db, Some(key)).await?.pop();
                self.snapshot.write().put_plan(key, rec);
            }
            "calendar" => {
                let rec = load_calendars(db, Some(key)).await?.pop();
                self.snapshot.write().put_calendar(key, rec);
            }
            "account" => {
                let mut rec = None;
                load_accounts(db, Some(key), |a| rec = Some(a)).await?;
                self.snapshot.write().put_account(key, rec);
            }
            "contract" => {
                let (account, id) = key
                    .split_once('/')
                    .ok_or_else(|| internal("change log", format!("bad contract key {key}")))?;
                let mut loaded = None;
                load_contracts(db, Some((account, id)), |c| loaded = Some(c)).await?;
                self.snapshot.write().put_contract(account, id, loaded);
            }
            other => return Err(internal("change log", format!("unknown entity {other}"))),
        }
        Ok(())
    }

    /// Replaces the whole snapshot from Postgres.
    async fn reload_all(&self) -> Result<(), StoreError> {
        let _guard = self.sync.lock().await;
        let (state, applied) = load_all(&self.pool).await?;
        *self.snapshot.write() = state;
        self.set_applied(applied);
        self.confirm();
        Ok(())
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
        for _ in 0..STALE_RETRIES {
            let prepared = decide(&self.snapshot.read(), Utc::now())?;
            let answer = match once {
                Some((key, render)) => Some((
                    key,
                    render(prepared.applied()).map_err(|e| internal("rendering the answer", e))?,
                )),
                None => None,
            };
            let recorded = answer.as_ref().map(|(key, bytes)| (*key, bytes.as_slice()));
            // Past an outage the write is abandoned at once (it may or may not have
            // committed, as with any write cut off by a failure; `request_id` makes the
            // retry safe).
            let written = self
                .while_up(async { Ok(self.write(&prepared, recorded).await) })
                .await
                .map_err(WriteError::Failed)
                .and_then(|r| r);
            match written {
                Ok(id) => {
                    self.written.fetch_max(id, Ordering::SeqCst);
                    // Best effort and bounded, so the answer goes out soon after the
                    // commit: the listener applies the write too if this does not.
                    match tokio::time::timeout(ACK_CATCH_UP, self.catch_up()).await {
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

    /// Writes prepared records in one transaction; returns the change-log id.
    async fn write(
        &self,
        prepared: &Prepared,
        once: Option<(&RequestKey, &[u8])>,
    ) -> Result<u64, WriteError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| db_failure(e, "database"))?;
        // Every statement below, the wait for the write lock included, is cancelled past
        // the write timeout (for this transaction only).
        sqlx::query("select set_config('statement_timeout', $1, true)")
            .bind(&self.write_timeout)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_failure(e, "database"))?;
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_failure(e, "write lock"))?;
        if let Some((request, answer)) = once {
            // Writes are serialised by the lock above, so a concurrent attempt with the
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
            .map_err(|e| db_failure(e, "request id"))?;
            if done.rows_affected() == 0 {
                return Err(WriteError::Failed(StoreError::Replayed));
            }
        }
        let (entity, key) = write_prepared(&mut tx, prepared).await?;
        let id: i64 =
            sqlx::query("insert into change_log (entity, key) values ($1, $2) returning id")
                .bind(entity)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| db_failure(e, &key))?
                .get(0);
        tx.commit().await.map_err(|e| db_failure(e, &key))?;
        Ok(id as u64)
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

/// Writes one prepared change; returns the change-log entity and key.
async fn write_prepared(
    tx: &mut Transaction<'_, Postgres>,
    prepared: &Prepared,
) -> Result<(&'static str, String), WriteError> {
    match prepared {
        Prepared::Plan(w) => {
            let p = &w.record.plan;
            let name = Name::plan(&p.id);
            let benefits: Vec<String> = p.benefits.iter().map(|b| b.key().to_owned()).collect();
            let terms = Json(p.terms.to_vec());
            let done = match w.expected {
                None => sqlx::query(
                    "insert into plans (id, display_name, built_in, benefits, terms, \
                     designated_contact_limit, revision, created_at, updated_at) \
                     values ($1, $2, false, $3, $4, $5, $6, $7, $7)",
                ),
                Some(_) => sqlx::query(
                    "update plans set display_name = $2, benefits = $3, terms = $4, \
                     designated_contact_limit = $5, revision = $6, updated_at = $7 \
                     where id = $1 and revision = $8 and not built_in",
                ),
            }
            .bind(&p.id)
            .bind(&p.display_name)
            .bind(&benefits)
            .bind(terms)
            .bind(p.designated_contact_limit as i32)
            .bind(w.record.meta.revision)
            .bind(w.record.meta.updated_at)
            .bind(w.expected.unwrap_or_default())
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, &name))?;
            touched(done)?;
            Ok(("plan", p.id.clone()))
        }
        Prepared::Calendar(w) => {
            let c = &w.record;
            let name = Name::calendar(&c.id);
            let (weekly, closed, special) = calendar_rows(&c.calendar);
            let done = match w.expected {
                None => sqlx::query(
                    "insert into calendars (id, display_name, time_zone, weekly_hours, closed_dates, \
                     special_dates, revision, created_at, updated_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                ),
                Some(_) => sqlx::query(
                    "update calendars set display_name = $2, time_zone = $3, weekly_hours = $4, \
                     closed_dates = $5, special_dates = $6, revision = $7, updated_at = $8 \
                     where id = $1 and revision = $9",
                ),
            }
            .bind(&c.id)
            .bind(&c.display_name)
            .bind(c.calendar.time_zone())
            .bind(Json(weekly))
            .bind(Json(closed))
            .bind(Json(special))
            .bind(c.meta.revision)
            .bind(c.meta.updated_at)
            .bind(w.expected.unwrap_or_default())
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, &name))?;
            touched(done)?;
            Ok(("calendar", c.id.clone()))
        }
        Prepared::DeleteCalendar { id, revision } => {
            let name = Name::calendar(id);
            let done = sqlx::query("delete from calendars where id = $1 and revision = $2")
                .bind(id)
                .bind(revision)
                .execute(&mut **tx)
                .await
                .map_err(|e| db_error(e, &name))?;
            touched(done)?;
            Ok(("calendar", id.clone()))
        }
        Prepared::Account(w) => {
            let a = &w.record;
            let name = Name::account(&a.id);
            let done = match w.expected {
                None => sqlx::query(
                    "insert into accounts (id, display_name, time_zone, calendar_id, revision, \
                     created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)",
                ),
                Some(_) => sqlx::query(
                    "update accounts set display_name = $2, time_zone = $3, calendar_id = $4, \
                     revision = $5, updated_at = $6 where id = $1 and revision = $7",
                ),
            }
            .bind(&a.id)
            .bind(&a.display_name)
            .bind(&a.time_zone)
            .bind(&a.calendar_id)
            .bind(a.meta.revision)
            .bind(a.meta.updated_at)
            .bind(w.expected.unwrap_or_default())
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, &name))?;
            touched(done)?;
            Ok(("account", a.id.clone()))
        }
        Prepared::DeleteAccount { id, revision } => {
            let name = Name::account(id);
            sqlx::query("delete from contracts where account_id = $1 and state = 'terminated'")
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(|e| db_error(e, &name))?;
            let done = sqlx::query("delete from accounts where id = $1 and revision = $2")
                .bind(id)
                .bind(revision)
                .execute(&mut **tx)
                .await
                .map_err(|e| db_error(e, &name))?;
            touched(done)?;
            Ok(("account", id.clone()))
        }
        Prepared::Contract { write, revision } => {
            let c = &write.record.contract;
            let name = Name::contract(&c.account_id, &c.id);
            let mut doc = c.clone();
            doc.contacts.clear();
            let done = match write.expected {
                None => sqlx::query(
                    "insert into contracts (account_id, id, plan_id, start_at, end_at, state, \
                     terminated_at, doc, extra_designated_contacts, version, created_at, updated_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                ),
                Some(_) => sqlx::query(
                    "update contracts set plan_id = $3, start_at = $4, end_at = $5, state = $6, \
                     terminated_at = $7, doc = $8, extra_designated_contacts = $9, version = $10, \
                     updated_at = $12 where account_id = $1 and id = $2 and version = $13",
                ),
            }
            .bind(&c.account_id)
            .bind(&c.id)
            .bind(&c.plan_id)
            .bind(c.start)
            .bind(c.end)
            .bind(state_key(c.state))
            .bind(c.terminated_at)
            .bind(Json(&doc))
            .bind(c.overrides.extra_designated_contacts as i32)
            .bind(c.version)
            .bind(write.record.created_at)
            .bind(write.record.updated_at)
            .bind(write.expected.unwrap_or_default())
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, &name))?;
            touched(done)?;
            sync_contacts(tx, c, &name).await?;
            sqlx::query(
                "insert into contract_revisions (account_id, contract_id, version, principal, \
                 action, before, after, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&c.account_id)
            .bind(&c.id)
            .bind(revision.version)
            .bind(&revision.principal)
            .bind(&revision.action)
            .bind(revision.before.as_ref().map(Json))
            .bind(Json(&revision.after))
            .bind(revision.at)
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, &name))?;
            Ok(("contract", format!("{}/{}", c.account_id, c.id)))
        }
        Prepared::Completion {
            contract,
            completion,
            ..
        } => {
            let c = &contract.contract;
            let name = Name::contract(&c.account_id, &c.id);
            sqlx::query(
                "insert into obligation_completions (account_id, contract_id, kind, completed_at, note) \
                 values ($1, $2, $3, $4, $5) on conflict do nothing",
            )
            .bind(&c.account_id)
            .bind(&c.id)
            .bind(completion.kind.key())
            .bind(completion.at)
            .bind(&completion.note)
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, &name))?;
            Ok(("contract", format!("{}/{}", c.account_id, c.id)))
        }
    }
}

/// Makes the designated_contacts rows match the contract's list; only new contacts are
/// inserted, and those inserts go through the limit trigger.
async fn sync_contacts(
    tx: &mut Transaction<'_, Postgres>,
    c: &Contract,
    name: &Name,
) -> Result<(), StoreError> {
    let emails: Vec<String> = c.contacts.iter().map(|d| d.email.clone()).collect();
    sqlx::query(
        "delete from designated_contacts where account_id = $1 and contract_id = $2 \
         and not (email = any($3))",
    )
    .bind(&c.account_id)
    .bind(&c.id)
    .bind(&emails)
    .execute(&mut **tx)
    .await
    .map_err(|e| db_error(e, name))?;
    for (i, d) in c.contacts.iter().enumerate() {
        sqlx::query(
            "insert into designated_contacts (account_id, contract_id, email, display_name, \
             position, added_at) select $1, $2, $3, $4, $5, $6 where not exists \
             (select 1 from designated_contacts where account_id = $1 and contract_id = $2 \
             and email = $3)",
        )
        .bind(&c.account_id)
        .bind(&c.id)
        .bind(&d.email)
        .bind(&d.display_name)
        .bind(i as i32)
        .bind(d.added_at)
        .execute(&mut **tx)
        .await
        .map_err(|e| db_error(e, name))?;
    }
    Ok(())
}

fn calendar_rows(c: &Calendar) -> (WeeklyRow, Vec<ClosedDate>, Vec<SpecialDate>) {
    let weekly = c.weekly().to_vec();
    let mut closed = Vec::new();
    let mut special = Vec::new();
    for e in c.exceptions() {
        match e {
            DateException::Closed(d) => closed.push(d.clone()),
            DateException::Special(d) => special.push(d.clone()),
        }
    }
    (weekly, closed, special)
}

/// Inserts or refreshes the built-in plans from [`builtin_plans`], the single source.
async fn install_builtin_plans(pool: &PgPool) -> Result<(), StoreError> {
    for p in builtin_plans() {
        let benefits: Vec<String> = p.benefits.iter().map(|b| b.key().to_owned()).collect();
        sqlx::query(
            "insert into plans (id, display_name, built_in, benefits, terms, designated_contact_limit) \
             values ($1, $2, true, $3, $4, $5) \
             on conflict (id) do update set display_name = excluded.display_name, \
             benefits = excluded.benefits, terms = excluded.terms, \
             designated_contact_limit = excluded.designated_contact_limit, built_in = true \
             where plans.built_in and (plans.benefits, plans.terms, plans.designated_contact_limit) \
             is distinct from (excluded.benefits, excluded.terms, excluded.designated_contact_limit)",
        )
        .bind(&p.id)
        .bind(&p.display_name)
        .bind(&benefits)
        .bind(Json(p.terms.to_vec()))
        .bind(p.designated_contact_limit as i32)
        .execute(pool)
        .await
        .map_err(|e| db_error(e, &Name::plan(&p.id)))?;
    }
    Ok(())
}

/// Loads everything into a fresh state, with the change-log watermark it reflects, from
/// one consistent (repeatable read) view of the database.
async fn load_all(pool: &PgPool) -> Result<(State, u64), StoreError> {
    let mut tx = pool.begin().await.map_err(|e| db_failure(e, "database"))?;
    sqlx::query("set transaction isolation level repeatable read read only")
        .execute(&mut *tx)
        .await
        .map_err(|e| db_failure(e, "database"))?;
    let applied: i64 = sqlx::query("select coalesce(max(id), 0) from change_log")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| db_failure(e, "change log"))?
        .get(0);
    let mut state = State::default();
    for p in load_plans(&mut tx, None).await? {
        let id = p.plan.id.clone();
        state.put_plan(&id, Some(p));
    }
    for c in load_calendars(&mut tx, None).await? {
        let id = c.id.clone();
        state.put_calendar(&id, Some(c));
    }
    load_accounts(&mut tx, None, |a| {
        let id = a.id.clone();
        state.put_account(&id, Some(a));
    })
    .await?;
    load_contracts(&mut tx, None, |(rec, revisions, completions)| {
        let (account, id) = (rec.contract.account_id.clone(), rec.contract.id.clone());
        state.put_contract(&account, &id, Some((rec, revisions, completions)));
    })
    .await?;
    tx.commit().await.map_err(|e| db_failure(e, "database"))?;
    Ok((state, applied as u64))
}

fn meta(r: &PgRow) -> Meta {
    Meta {
        revision: r.get("revision"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Streams the rows `query` returns to `sink`, one at a time, each made into a record by
/// `record`, which is given the row's id to name in its errors; `what` names the rows in
/// database errors. Every loader goes through here, so they differ only in their columns.
async fn each_row<T>(
    db: &mut PgConnection,
    query: Query<'_, Postgres, PgArguments>,
    what: &str,
    record: impl Fn(&PgRow, String) -> Result<T, StoreError>,
    mut sink: impl FnMut(T),
) -> Result<(), StoreError> {
    use tokio_stream::StreamExt as _;
    let mut rows = query.fetch(db);
    while let Some(row) = rows.next().await {
        let r = row.map_err(|e| db_failure(e, what))?;
        sink(record(&r, r.get("id"))?);
    }
    Ok(())
}

/// Loads plans (all, or one).
async fn load_plans(
    db: &mut PgConnection,
    id: Option<&str>,
) -> Result<Vec<PlanRecord>, StoreError> {
    let query = sqlx::query(
        "select id, display_name, built_in, benefits, terms, designated_contact_limit, revision, \
         created_at, updated_at from plans where $1::text is null or id = $1",
    )
    .bind(id);
    let mut plans = Vec::new();
    each_row(db, query, "plans", plan_record, |p| plans.push(p)).await?;
    Ok(plans)
}

fn plan_record(r: &PgRow, id: String) -> Result<PlanRecord, StoreError> {
    let keys: Vec<String> = r.get("benefits");
    let benefits: BenefitSet = keys
        .iter()
        .map(|k| k.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| internal(&id, e))?;
    let terms: Json<Vec<PriorityTerms>> = r.try_get("terms").map_err(|e| internal(&id, e))?;
    let terms: TermsTable = terms_table(terms.0).map_err(|e| internal(&id, e))?;
    let limit: i32 = r.get("designated_contact_limit");
    Ok(PlanRecord {
        plan: Plan {
            display_name: r.get("display_name"),
            built_in: r.get("built_in"),
            benefits,
            terms,
            designated_contact_limit: limit.max(0) as u32,
            id,
        },
        meta: meta(r),
    })
}

/// Loads calendars (all, or one).
async fn load_calendars(
    db: &mut PgConnection,
    id: Option<&str>,
) -> Result<Vec<CalendarRecord>, StoreError> {
    let query = sqlx::query(
        "select id, display_name, time_zone, weekly_hours, closed_dates, special_dates, revision, \
         created_at, updated_at from calendars where $1::text is null or id = $1",
    )
    .bind(id);
    let mut calendars = Vec::new();
    each_row(db, query, "calendars", calendar_record, |c| {
        calendars.push(c)
    })
    .await?;
    Ok(calendars)
}

fn calendar_record(r: &PgRow, id: String) -> Result<CalendarRecord, StoreError> {
    let weekly: Json<WeeklyRow> = r.try_get("weekly_hours").map_err(|e| internal(&id, e))?;
    let closed: Json<Vec<ClosedDate>> = r.try_get("closed_dates").map_err(|e| internal(&id, e))?;
    let special: Json<Vec<SpecialDate>> =
        r.try_get("special_dates").map_err(|e| internal(&id, e))?;
    let tz: String = r.get("time_zone");
    let exceptions = closed
        .0
        .into_iter()
        .map(DateException::Closed)
        .chain(special.0.into_iter().map(DateException::Special))
        .collect();
    let weekly = WEEKDAYS.into_iter().zip(weekly.0).collect();
    let calendar = Calendar::new(&tz, weekly, exceptions).map_err(|e| internal(&id, e))?;
    Ok(CalendarRecord {
        display_name: r.get("display_name"),
        calendar: Arc::new(calendar),
        meta: meta(r),
        id,
    })
}

/// Streams accounts (all, or one) to `sink`.
async fn load_accounts(
    db: &mut PgConnection,
    id: Option<&str>,
    sink: impl FnMut(AccountRecord),
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "select id, display_name, time_zone, calendar_id, revision, created_at, updated_at \
         from accounts where $1::text is null or id = $1",
    )
    .bind(id);
    each_row(db, query, "accounts", account_record, sink).await
}

fn account_record(r: &PgRow, id: String) -> Result<AccountRecord, StoreError> {
    let time_zone: String = r.get("time_zone");
    Ok(AccountRecord {
        office_hours: Calendar::shared_office_hours(&time_zone).map_err(|e| internal(&id, e))?,
        display_name: r.get("display_name"),
        calendar_id: r.get("calendar_id"),
        meta: meta(r),
        time_zone,
        id,
    })
}

type LoadedContract = (ContractRecord, Vec<Revision>, Vec<Completion>);

/// A completion as aggregated into a contract's row.
#[derive(serde::Deserialize)]
struct CompletionRow {
    kind: String,
    at: chrono::DateTime<Utc>,
    note: String,
}

/// Streams contracts (all, or one) with their contacts and completions to `sink`, one
/// row at a time, so that loading a hundred thousand never holds them all twice.
async fn load_contracts(
    db: &mut PgConnection,
    key: Option<(&str, &str)>,
    sink: impl FnMut(LoadedContract),
) -> Result<(), StoreError> {
    let (account, id) = key.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    let query = sqlx::query(
        "select c.account_id, c.id, c.doc, c.created_at, c.updated_at, \
         coalesce((select json_agg(json_build_object('email', d.email, \
             'display_name', d.display_name, 'added_at', d.added_at) order by d.position) \
           from designated_contacts d \
           where d.account_id = c.account_id and d.contract_id = c.id), '[]') as contacts, \
         coalesce((select json_agg(json_build_object('kind', o.kind, 'at', o.completed_at, \
             'note', o.note) order by o.completed_at) \
           from obligation_completions o \
           where o.account_id = c.account_id and o.contract_id = c.id), '[]') as completions \
         from contracts c \
         where ($1::text is null or c.account_id = $1) and ($2::text is null or c.id = $2) \
         order by c.account_id, c.id",
    )
    .bind(account)
    .bind(id);
    each_row(db, query, "contracts", contract_record, sink).await
}

fn contract_record(r: &PgRow, id: String) -> Result<LoadedContract, StoreError> {
    let doc: Json<Contract> = r.try_get("doc").map_err(|e| internal(&id, e))?;
    let contacts: Json<Vec<DesignatedContact>> =
        r.try_get("contacts").map_err(|e| internal(&id, e))?;
    let completions: Json<Vec<CompletionRow>> =
        r.try_get("completions").map_err(|e| internal(&id, e))?;
    let completions = completions
        .0
        .into_iter()
        .map(|c| {
            Ok(Completion {
                kind: c
                    .kind
                    .parse::<ObligationKind>()
                    .map_err(|e| internal(&id, e))?,
                at: c.at,
                note: c.note,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut contract = doc.0;
    contract.contacts = contacts.0;
    Ok((
        ContractRecord {
            contract,
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
        },
        Vec::new(),
        completions,
    ))
}
