//! Catching up: applying to the snapshot what the change log says changed since its
//! watermark, in order (each changed record read back by its primary key, a page of
//! the log at a time), and reloading the whole snapshot after a reconnect.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use sqlx::Row;

use super::cases;
use super::load::{load_accounts, load_all, load_calendars, load_contracts, load_plans};
use super::sql::{db_failure, internal};
use super::{CATCH_UP_PAGE, PostgresStore};
use crate::store::StoreError;

impl PostgresStore {
    /// Applies every change logged after the snapshot's watermark, in order; fails at
    /// once while Postgres is unreachable (the listener reloads everything on reconnect).
    pub(super) async fn catch_up(&self) -> Result<(), StoreError> {
        self.while_up(self.catch_up_now()).await
    }

    pub(super) async fn catch_up_now(&self) -> Result<(), StoreError> {
        let _guard = self.sync.lock().await;
        let mut seen = BTreeSet::new();
        loop {
            let from = self.applied.load(Ordering::SeqCst) as i64;
            // A page at a time: with the limit, the plan is a walk of the primary key
            // from the watermark, whatever the size of the log (without it, a generic
            // plan for `id > $1` scans and sorts the whole table).
            let rows = sqlx::query(
                "select id, entity, key from change_log where id > $1 order by id limit $2",
            )
            .bind(from)
            .bind(CATCH_UP_PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| db_failure(e, "change log"))?;
            let full = rows.len() as i64 == CATCH_UP_PAGE;
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
            if !full {
                break;
            }
        }
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
            "case" => {
                let (account, id) = key
                    .split_once('/')
                    .ok_or_else(|| internal("change log", format!("bad case key {key}")))?;
                let rec = cases::load_case(db, account, id).await?;
                self.snapshot.write().put_case(account, id, rec);
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
    pub(super) async fn reload_all(&self) -> Result<(), StoreError> {
        let _guard = self.sync.lock().await;
        let (state, applied) = load_all(&self.pool).await?;
        *self.snapshot.write() = state;
        self.set_applied(applied);
        self.confirm();
        Ok(())
    }
}
