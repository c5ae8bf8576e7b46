//! `entitlements.v1.AccountService`: accounts and the business-hours calendars they use.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{self, UpdateMask, pb_account, pb_calendar};
use super::error::ApiError;
use super::guard::Caller;
use super::pb;
use super::pb::account_service_server::AccountService;
use crate::names::Name;
use crate::store::records::{AccountPatch, AccountRecord, CalendarPatch, CalendarRecord, Deleted};
use crate::store::{Applied, Change, Store, StoreError};

/// The account service over a store.
#[derive(Debug, Clone)]
pub struct AccountApi {
    /// Where accounts and calendars live.
    store: Arc<dyn Store>,
}

impl AccountApi {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        AccountApi { store }
    }

    /// Applies `change` for `caller` (at most once per request id) and answers with
    /// `respond`.
    async fn write<T, R>(
        &self,
        caller: &Caller,
        change: Change,
        respond: impl Fn(Result<T, ApiError>) -> Result<R, ApiError> + Send + Sync,
    ) -> Result<R, ApiError>
    where
        T: TryFrom<Applied, Error = StoreError>,
        R: prost::Message + Default,
    {
        caller.write(self.store.as_ref(), change, respond).await
    }
}

const ACCOUNT_PATHS: &[&str] = &["display_name", "time_zone", "calendar"];
const ACCOUNT_OUTPUT_ONLY: &[&str] = &["name", "etag", "create_time", "update_time"];
const CALENDAR_OUTPUT_ONLY: &[&str] = &["name", "etag", "create_time", "update_time"];
const CALENDAR_PATHS: &[&str] = &[
    "display_name",
    "time_zone",
    "weekly_hours",
    "closed_dates",
    "special_dates",
];

fn not_found(name: Name) -> ApiError {
    StoreError::NotFound(name).into()
}

/// `account.calendar` naming a calendar that does not exist is INVALID_ARGUMENT naming
/// that field (types.proto), not NOT_FOUND.
fn calendar_ref_error(e: ApiError) -> ApiError {
    match e {
        ApiError::Store(StoreError::NotFound(name @ Name::Calendar(_))) => {
            ApiError::field("account.calendar", format!("{name} does not exist"))
        }
        e => e,
    }
}

#[tonic::async_trait]
impl AccountService for AccountApi {
    async fn create_account(
        &self,
        request: Request<pb::CreateAccountRequest>,
    ) -> Result<Response<pb::CreateAccountResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("AccountService/CreateAccount", &r, &r.request_id)?;
        let id = convert::new_id(&r.account_id, "account_id")?.to_owned();
        let a = r.account.ok_or_else(|| ApiError::required("account"))?;
        let change = Change::CreateAccount {
            id,
            display_name: convert::display_name(&a.display_name, "account.display_name")?,
            time_zone: convert::time_zone(&a.time_zone, "account.time_zone")?,
            calendar_id: convert::calendar_ref(&a.calendar, "account.calendar")?,
        };
        let answer = self
            .write(&caller, change, |done: Result<AccountRecord, _>| {
                Ok(pb::CreateAccountResponse {
                    account: Some(pb_account(&done.map_err(calendar_ref_error)?)),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::GetAccountResponse>, Status> {
        let r = request.into_inner();
        let id = convert::account_id(&r.name, "name")?;
        let state = self.store.snapshot().read();
        let a = state
            .account(id)
            .ok_or_else(|| not_found(Name::account(id)))?;
        Ok(Response::new(pb::GetAccountResponse {
            account: Some(pb_account(a)),
        }))
    }

    async fn update_account(
        &self,
        request: Request<pb::UpdateAccountRequest>,
    ) -> Result<Response<pb::UpdateAccountResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("AccountService/UpdateAccount", &r, &r.request_id)?;
        let a = r.account.ok_or_else(|| ApiError::required("account"))?;
        let id = convert::account_id(&a.name, "account.name")?.to_owned();
        let mask = UpdateMask::parse(&r.update_mask, ACCOUNT_PATHS, ACCOUNT_OUTPUT_ONLY)?;
        let mut patch = AccountPatch::default();
        if mask.wants("display_name", !a.display_name.is_empty()) {
            patch.display_name = Some(convert::display_name(
                &a.display_name,
                "account.display_name",
            )?);
        }
        if mask.wants("time_zone", !a.time_zone.is_empty()) {
            patch.time_zone = Some(convert::time_zone(&a.time_zone, "account.time_zone")?);
        }
        if mask.wants("calendar", !a.calendar.is_empty()) {
            patch.calendar_id = Some(convert::calendar_ref(&a.calendar, "account.calendar")?);
        }
        let change = Change::UpdateAccount {
            id,
            patch,
            etag: Some(a.etag.clone()),
        };
        let answer = self
            .write(&caller, change, |done: Result<AccountRecord, _>| {
                Ok(pb::UpdateAccountResponse {
                    account: Some(pb_account(&done.map_err(calendar_ref_error)?)),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        let r = request.into_inner();
        let page = convert::page(r.page_size, &r.page_token, "accounts")?;
        let state = self.store.snapshot().read();
        let (accounts, next_page_token) = convert::paginate(
            &page,
            state
                .accounts_after(&page.after)
                .map(|a| (a.id.clone(), pb_account(a))),
        );
        Ok(Response::new(pb::ListAccountsResponse {
            accounts,
            next_page_token,
        }))
    }

    async fn delete_account(
        &self,
        request: Request<pb::DeleteAccountRequest>,
    ) -> Result<Response<pb::DeleteAccountResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("AccountService/DeleteAccount", &r, &r.request_id)?;
        let id = convert::account_id(&r.name, "name")?.to_owned();
        let change = Change::DeleteAccount {
            id,
            etag: Some(r.etag),
        };
        let answer = self
            .write(&caller, change, |done: Result<Deleted, _>| {
                done.map(|_| pb::DeleteAccountResponse {})
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn create_calendar(
        &self,
        request: Request<pb::CreateCalendarRequest>,
    ) -> Result<Response<pb::CreateCalendarResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("AccountService/CreateCalendar", &r, &r.request_id)?;
        let id = convert::new_id(&r.calendar_id, "calendar_id")?.to_owned();
        let c = r.calendar.ok_or_else(|| ApiError::required("calendar"))?;
        let change = Change::CreateCalendar {
            id,
            display_name: convert::display_name(&c.display_name, "calendar.display_name")?,
            calendar: convert::shared_calendar(&c, "calendar")?,
        };
        let answer = self
            .write(&caller, change, |done: Result<CalendarRecord, _>| {
                Ok(pb::CreateCalendarResponse {
                    calendar: Some(pb_calendar(&done?)),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn get_calendar(
        &self,
        request: Request<pb::GetCalendarRequest>,
    ) -> Result<Response<pb::GetCalendarResponse>, Status> {
        let r = request.into_inner();
        let id = convert::calendar_id(&r.name, "name")?;
        let state = self.store.snapshot().read();
        let c = state
            .calendar(id)
            .ok_or_else(|| not_found(Name::calendar(id)))?;
        Ok(Response::new(pb::GetCalendarResponse {
            calendar: Some(pb_calendar(c)),
        }))
    }

    async fn update_calendar(
        &self,
        request: Request<pb::UpdateCalendarRequest>,
    ) -> Result<Response<pb::UpdateCalendarResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("AccountService/UpdateCalendar", &r, &r.request_id)?;
        let c = r.calendar.ok_or_else(|| ApiError::required("calendar"))?;
        let id = convert::calendar_id(&c.name, "calendar.name")?.to_owned();
        let mask = UpdateMask::parse(&r.update_mask, CALENDAR_PATHS, CALENDAR_OUTPUT_ONLY)?;
        // Merge the requested definition fields onto the current definition; the etag
        // read here guards the merge against a concurrent update.
        let (current, read_etag) = {
            let state = self.store.snapshot().read();
            let cur = state
                .calendar(&id)
                .ok_or_else(|| not_found(Name::calendar(&id)))?;
            (convert::pb_calendar_spec(&cur.calendar), cur.meta.etag())
        };
        let mut merged = current.clone();
        let mut definition_changed = false;
        if mask.wants("time_zone", !c.time_zone.is_empty()) {
            merged.time_zone = c.time_zone.clone();
            definition_changed = true;
        }
        if mask.wants("weekly_hours", !c.weekly_hours.is_empty()) {
            merged.weekly_hours = c.weekly_hours.clone();
            definition_changed = true;
        }
        if mask.wants("closed_dates", !c.closed_dates.is_empty()) {
            merged.closed_dates = c.closed_dates.clone();
            definition_changed = true;
        }
        if mask.wants("special_dates", !c.special_dates.is_empty()) {
            merged.special_dates = c.special_dates.clone();
            definition_changed = true;
        }
        let patch = CalendarPatch {
            display_name: if mask.wants("display_name", !c.display_name.is_empty()) {
                Some(convert::display_name(
                    &c.display_name,
                    "calendar.display_name",
                )?)
            } else {
                None
            },
            calendar: if definition_changed {
                Some(convert::shared_calendar(&merged, "calendar")?)
            } else {
                None
            },
        };
        let etag = if c.etag.is_empty() {
            read_etag
        } else {
            c.etag.clone()
        };
        let change = Change::UpdateCalendar {
            id,
            patch,
            etag: Some(etag),
        };
        let answer = self
            .write(&caller, change, |done: Result<CalendarRecord, _>| {
                Ok(pb::UpdateCalendarResponse {
                    calendar: Some(pb_calendar(&done?)),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn list_calendars(
        &self,
        request: Request<pb::ListCalendarsRequest>,
    ) -> Result<Response<pb::ListCalendarsResponse>, Status> {
        let r = request.into_inner();
        let page = convert::page(r.page_size, &r.page_token, "calendars")?;
        let state = self.store.snapshot().read();
        let (calendars, next_page_token) = convert::paginate(
            &page,
            state
                .calendars_after(&page.after)
                .map(|c| (c.id.clone(), pb_calendar(c))),
        );
        Ok(Response::new(pb::ListCalendarsResponse {
            calendars,
            next_page_token,
        }))
    }

    async fn delete_calendar(
        &self,
        request: Request<pb::DeleteCalendarRequest>,
    ) -> Result<Response<pb::DeleteCalendarResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("AccountService/DeleteCalendar", &r, &r.request_id)?;
        let id = convert::calendar_id(&r.name, "name")?.to_owned();
        let change = Change::DeleteCalendar {
            id,
            etag: Some(r.etag),
        };
        let answer = self
            .write(&caller, change, |done: Result<Deleted, _>| {
                done.map(|_| pb::DeleteCalendarResponse {})
            })
            .await?;
        Ok(Response::new(answer))
    }
}
