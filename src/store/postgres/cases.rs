//! Tracked cases in Postgres: writing a decided case change (conditional on the revision
//! it was decided on), loading the open cases into the snapshot, and reading resolved
//! cases through, one or a page in name order, since the snapshot holds only open ones.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::types::Json;
use sqlx::{Postgres, Row, Transaction};

use super::sql::{WriteError, db_error, db_failure, internal};
use crate::domain::CaseTimeline;
use crate::names::Name;
use crate::store::StoreError;
use crate::store::cases::CaseRecord;
use crate::store::records::Meta;

/// `select` with the columns every case query reads (a macro, so that each query stays a
/// literal string).
macro_rules! select_cases {
    ($rest:literal) => {
        concat!(
            "select account_id, id, external_reference, timeline, revision, created_at, \
             updated_at from cases ",
            $rest
        )
    };
}

/// The change-log key of a case.
pub(super) fn log_key(account_id: &str, id: &str) -> String {
    format!("{account_id}/{id}")
}

/// A conditional write on a case that touched no row: the case changed since it was
/// read. Decided on the snapshot, the store catches up and decides again; decided on a
/// case read through (not in the snapshot), it cannot, and the caller retries.
fn changed(
    done: sqlx::postgres::PgQueryResult,
    read_through: bool,
    name: &Name,
) -> Result<(), WriteError> {
    match (done.rows_affected(), read_through) {
        (0, false) => Err(WriteError::Stale),
        (0, true) => Err(WriteError::Failed(StoreError::EtagMismatch {
            name: name.clone(),
            current: "(changed concurrently; read it again)".into(),
        })),
        _ => Ok(()),
    }
}

/// A case's timeline as stored: JSON text (the column is `json`: see migration 0004).
fn timeline_text(rec: &CaseRecord) -> Result<String, StoreError> {
    serde_json::to_string(&rec.case_timeline())
        .map_err(|e| internal(&log_key(rec.account_id(), rec.id()), e))
}

/// Writes a case (created, or replacing revision `expected`).
pub(super) async fn write_case(
    tx: &mut Transaction<'_, Postgres>,
    rec: &CaseRecord,
    expected: Option<i64>,
    read_through: bool,
) -> Result<(&'static str, String), WriteError> {
    let name = Name::case(rec.account_id(), rec.id());
    let done = match expected {
        None => sqlx::query(
            "insert into cases (account_id, id, external_reference, timeline, resolved_at, \
             revision, created_at, updated_at) values ($1, $2, $3, $4::json, $5, $6, $7, $7)",
        ),
        Some(_) => sqlx::query(
            "update cases set external_reference = $3, timeline = $4::json, resolved_at = $5, \
             revision = $6, updated_at = $7 where account_id = $1 and id = $2 and revision = $8",
        ),
    }
    .bind(rec.account_id())
    .bind(rec.id())
    .bind(rec.external_reference())
    .bind(timeline_text(rec).map_err(WriteError::Failed)?)
    .bind(rec.timeline.resolved_at())
    .bind(rec.meta.revision)
    .bind(rec.meta.updated_at)
    .bind(expected.unwrap_or_default())
    .execute(&mut **tx)
    .await
    .map_err(|e| db_error(e, &name))?;
    changed(done, read_through, &name)?;
    Ok(("case", log_key(rec.account_id(), rec.id())))
}

/// Creates every case of `recs` in one statement (a group commit's run of creates);
/// returns their change-log keys, in order. A conflict does not say which case it is
/// about: the caller writes them one by one to find out.
pub(super) async fn insert_cases(
    tx: &mut Transaction<'_, Postgres>,
    recs: &[&CaseRecord],
) -> Result<Vec<String>, sqlx::Error> {
    let accounts: Vec<&str> = recs.iter().map(|r| r.account_id()).collect();
    let ids: Vec<&str> = recs.iter().map(|r| r.id()).collect();
    let references: Vec<&str> = recs.iter().map(|r| r.external_reference()).collect();
    let timelines: Vec<String> = recs
        .iter()
        .map(|r| timeline_text(r))
        .collect::<Result<_, _>>()
        .map_err(|e| sqlx::Error::Encode(e.to_string().into()))?;
    let resolved: Vec<Option<DateTime<Utc>>> =
        recs.iter().map(|r| r.timeline.resolved_at()).collect();
    let revisions: Vec<i64> = recs.iter().map(|r| r.meta.revision).collect();
    let created: Vec<DateTime<Utc>> = recs.iter().map(|r| r.meta.updated_at).collect();
    sqlx::query(
        "insert into cases (account_id, id, external_reference, timeline, resolved_at, \
         revision, created_at, updated_at) \
         select a, i, x, t::json, r, v, c, c from unnest($1::text[], $2::text[], $3::text[], \
         $4::text[], $5::timestamptz[], $6::bigint[], $7::timestamptz[]) as u(a, i, x, t, r, v, c)",
    )
    .bind(&accounts)
    .bind(&ids)
    .bind(&references)
    .bind(&timelines)
    .bind(&resolved)
    .bind(&revisions)
    .bind(&created)
    .execute(&mut **tx)
    .await?;
    Ok(recs
        .iter()
        .map(|r| log_key(r.account_id(), r.id()))
        .collect())
}

/// Deletes a case at revision `revision`.
pub(super) async fn delete_case(
    tx: &mut Transaction<'_, Postgres>,
    account_id: &str,
    id: &str,
    revision: i64,
    read_through: bool,
) -> Result<(&'static str, String), WriteError> {
    let name = Name::case(account_id, id);
    let done = sqlx::query("delete from cases where account_id = $1 and id = $2 and revision = $3")
        .bind(account_id)
        .bind(id)
        .bind(revision)
        .execute(&mut **tx)
        .await
        .map_err(|e| db_error(e, &name))?;
    changed(done, read_through, &name)?;
    Ok(("case", log_key(account_id, id)))
}

fn case_record(r: &PgRow) -> Result<CaseRecord, StoreError> {
    let account_id: String = r.get("account_id");
    let id: String = r.get("id");
    let timeline: Json<CaseTimeline> = r
        .try_get("timeline")
        .map_err(|e| internal(&log_key(&account_id, &id), e))?;
    let external_reference: String = r.get("external_reference");
    Ok(CaseRecord::new(
        &account_id,
        &id,
        &external_reference,
        &timeline.0,
        Meta {
            revision: r.get("revision"),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
        },
    ))
}

/// Streams every open case to `sink`.
pub(super) async fn load_open_cases(
    db: &mut PgConnection,
    mut sink: impl FnMut(CaseRecord),
) -> Result<(), StoreError> {
    use tokio_stream::StreamExt as _;
    let mut rows = sqlx::query(select_cases!("where resolved_at is null")).fetch(db);
    while let Some(row) = rows.next().await {
        let r = row.map_err(|e| db_failure(e, "cases"))?;
        sink(case_record(&r)?);
    }
    Ok(())
}

/// One case, open or resolved.
pub(super) async fn load_case(
    db: &mut PgConnection,
    account_id: &str,
    id: &str,
) -> Result<Option<CaseRecord>, StoreError> {
    let row = sqlx::query(select_cases!("where account_id = $1 and id = $2"))
        .bind(account_id)
        .bind(id)
        .fetch_optional(db)
        .await
        .map_err(|e| db_failure(e, "cases"))?;
    row.as_ref().map(case_record).transpose()
}

/// Up to `limit` resolved cases of `account` (every account when `None`) after the
/// case named `after` (account id, case id), in name order.
pub(super) async fn load_resolved_cases(
    db: &mut PgConnection,
    account: Option<&str>,
    after: Option<(&str, &str)>,
    limit: usize,
) -> Result<Vec<CaseRecord>, StoreError> {
    let (after_account, after_id) = after.unwrap_or(("", ""));
    let rows = sqlx::query(select_cases!(
        "where resolved_at is not null and ($1::text is null or account_id = $1) \
         and (account_id, id) > ($2, $3) order by account_id, id limit $4"
    ))
    .bind(account)
    .bind(after_account)
    .bind(after_id)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db)
    .await
    .map_err(|e| db_failure(e, "cases"))?;
    rows.iter().map(case_record).collect()
}
