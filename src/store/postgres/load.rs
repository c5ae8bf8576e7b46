//! Reading the state from Postgres: the whole snapshot at start and after a reconnect,
//! one entity when the change log names it, and the built-in plans installed at start.

use std::sync::Arc;

use chrono::Utc;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Row};

use super::sql::{WEEKDAYS, WeeklyRow, db_error, db_failure, internal};
use crate::domain::catalog::builtin::builtin_plans;
use crate::domain::catalog::{BenefitSet, TermsTable, terms_table};
use crate::domain::{
    Calendar, ClosedDate, Completion, Contract, DateException, DesignatedContact, ObligationKind,
    Plan, PriorityTerms, SpecialDate,
};
use crate::names::Name;
use crate::store::cases::{CaseRecord, Cases};
use crate::store::records::{
    AccountRecord, CalendarRecord, ContractRecord, Meta, PlanRecord, Revision,
};
use crate::store::{State, StoreError};

/// Inserts or refreshes the built-in plans from [`builtin_plans`], the single source.
pub(super) async fn install_builtin_plans(pool: &PgPool) -> Result<(), StoreError> {
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
pub(super) async fn load_all(pool: &PgPool) -> Result<(State, u64), StoreError> {
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
    // Resolved cases stay in Postgres; the open ones go last, evaluated under the terms
    // and calendars loaded above. Two threads: this one reads and decodes the rows, a
    // blocking one works out each case's outlook against the (by now settled) state and
    // indexes it; a bounded queue between them keeps the rows in flight few.
    state.drop_resolved_cases();
    let state = Arc::new(state);
    let (batches, queued) = std::sync::mpsc::sync_channel::<Vec<CaseRecord>>(4);
    let indexer = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let mut cases = Cases::default();
            for batch in queued {
                for mut rec in batch {
                    rec.outlook = state.outlook_of(&rec, now);
                    cases.put(rec);
                }
            }
            cases
        })
    };
    let mut batch = Vec::with_capacity(CASE_BATCH);
    let read = super::cases::load_open_cases(&mut tx, |rec| {
        batch.push(rec);
        if batch.len() == CASE_BATCH {
            // Blocks only while the indexer is behind; fails only if it died (its
            // panic is reported below).
            let _ = batches.send(std::mem::replace(
                &mut batch,
                Vec::with_capacity(CASE_BATCH),
            ));
        }
    })
    .await;
    let _ = batches.send(batch);
    drop(batches);
    let cases = indexer
        .await
        .map_err(|e| internal("indexing the open cases", e))?;
    read?;
    tx.commit().await.map_err(|e| db_failure(e, "database"))?;
    let mut state =
        Arc::into_inner(state).ok_or_else(|| internal("loading", "the state is still shared"))?;
    state.set_cases(cases);
    Ok((state, applied as u64))
}

/// How many open cases go from the reader to the indexer at a time.
const CASE_BATCH: usize = 1024;

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

// Each load below has two statements, all and one: `where $1 is null or id = $1` in one
// statement has a generic plan that cannot use the primary key, so once Postgres
// switched to it every reload of one record scanned the whole table (a contract's
// catch-up took 10 ms at 20,000 contracts and grew with them).

/// The query `$select` for every row, or with `$one` (a `where` on the key) for the
/// row of `key` when given.
macro_rules! all_or_one {
    ($select:literal, $one:literal, $key:expr) => {
        match $key {
            Some(key) => sqlx::query(concat!($select, $one)).bind(key),
            None => sqlx::query($select),
        }
    };
}

/// Loads plans (all, or one).
pub(super) async fn load_plans(
    db: &mut PgConnection,
    id: Option<&str>,
) -> Result<Vec<PlanRecord>, StoreError> {
    let query = all_or_one!(
        "select id, display_name, built_in, benefits, terms, designated_contact_limit, \
         revision, created_at, updated_at from plans",
        " where id = $1",
        id
    );
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
pub(super) async fn load_calendars(
    db: &mut PgConnection,
    id: Option<&str>,
) -> Result<Vec<CalendarRecord>, StoreError> {
    let query = all_or_one!(
        "select id, display_name, time_zone, weekly_hours, closed_dates, special_dates, \
         revision, created_at, updated_at from calendars",
        " where id = $1",
        id
    );
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
pub(super) async fn load_accounts(
    db: &mut PgConnection,
    id: Option<&str>,
    sink: impl FnMut(AccountRecord),
) -> Result<(), StoreError> {
    let query = all_or_one!(
        "select id, display_name, time_zone, calendar_id, revision, created_at, \
         updated_at from accounts",
        " where id = $1",
        id
    );
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
pub(super) async fn load_contracts(
    db: &mut PgConnection,
    key: Option<(&str, &str)>,
    sink: impl FnMut(LoadedContract),
) -> Result<(), StoreError> {
    macro_rules! select_contracts {
        ($rest:literal) => {
            concat!(
        "select c.account_id, c.id, c.doc, c.created_at, c.updated_at, \
         coalesce((select json_agg(json_build_object('email', d.email, \
             'display_name', d.display_name, 'added_at', d.added_at) order by d.position) \
           from designated_contacts d \
           where d.account_id = c.account_id and d.contract_id = c.id), '[]') as contacts, \
         coalesce((select json_agg(json_build_object('kind', o.kind, 'at', o.completed_at, \
             'note', o.note) order by o.completed_at) \
           from obligation_completions o \
           where o.account_id = c.account_id and o.contract_id = c.id), '[]') as completions \
         from contracts c",
                $rest
            )
        };
    }
    let query = match key {
        Some((account, id)) => {
            sqlx::query(select_contracts!(" where c.account_id = $1 and c.id = $2"))
                .bind(account)
                .bind(id)
        }
        None => sqlx::query(select_contracts!(" order by c.account_id, c.id")),
    };
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
