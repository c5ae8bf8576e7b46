//! Writing a decided change to Postgres: the rows of each kind of record, each
//! conditional on the version the decision read (a stale one touches no row), and a
//! contract's designated contacts kept in step with it.

use sqlx::types::Json;
use sqlx::{Postgres, Transaction};

use super::cases;
use super::sql::{WeeklyRow, WriteError, db_error, state_key, touched};
use crate::domain::{Calendar, ClosedDate, Contract, DateException, SpecialDate};
use crate::names::Name;
use crate::store::StoreError;
use crate::store::state::Prepared;

/// Writes one prepared change; returns the change-log entity and key.
pub(super) async fn write_prepared(
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
        Prepared::Case {
            write,
            read_through,
            unchanged,
        } => {
            let rec = &write.record;
            if *unchanged {
                return Ok(("case", cases::log_key(rec.account_id(), rec.id())));
            }
            cases::write_case(tx, rec, write.expected, *read_through).await
        }
        Prepared::DeleteCase {
            account_id,
            id,
            revision,
            read_through,
        } => cases::delete_case(tx, account_id, id, *revision, *read_through).await,
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
