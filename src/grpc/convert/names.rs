//! Resource names and ids: the id in `plans/{id}`, `calendars/{id}`, `accounts/{id}` and
//! `accounts/{a}/contracts/{c}`, a new resource's id in a create request, and display
//! names.

use crate::domain::catalog::check_id;
use crate::grpc::error::{ApiError, FieldContext};
use crate::names::{AccountName, AccountParent, CalendarName, CaseName, ContractName, PlanName};

type Result<T> = std::result::Result<T, ApiError>;

/// The id in `plans/{id}`.
pub fn plan_id<'a>(name: &'a str, field: &str) -> Result<&'a str> {
    Ok(PlanName::parse(name, field)?.id)
}

/// The id in `calendars/{id}`.
pub fn calendar_id<'a>(name: &'a str, field: &str) -> Result<&'a str> {
    Ok(CalendarName::parse(name, field)?.id)
}

/// The id in `accounts/{id}`.
pub fn account_id<'a>(name: &'a str, field: &str) -> Result<&'a str> {
    Ok(AccountName::parse(name, field)?.id)
}

/// The (account id, contract id) in `accounts/{a}/contracts/{c}`.
pub fn contract_ids<'a>(name: &'a str, field: &str) -> Result<(&'a str, &'a str)> {
    let n = ContractName::parse(name, field)?;
    Ok((n.account, n.id))
}

/// A tracked case's name, `accounts/{a}/cases/{c}`.
pub fn case_name<'a>(name: &'a str, field: &str) -> Result<CaseName<'a>> {
    Ok(CaseName::parse(name, field)?)
}

/// A listing's parent below accounts: `accounts/{a}` or `accounts/-`.
pub fn account_parent<'a>(name: &'a str, field: &str) -> Result<AccountParent<'a>> {
    Ok(AccountParent::parse(name, field)?)
}

/// A new resource's id given in a create request.
pub fn new_id<'a>(id: &'a str, field: &str) -> Result<&'a str> {
    if id.is_empty() {
        return Err(ApiError::required(field));
    }
    check_id(id).field(field)?;
    Ok(id)
}

/// Longest display name accepted, in characters.
pub const MAX_DISPLAY_NAME: usize = 200;

/// A display name from the wire: at most 200 characters.
pub fn display_name(s: &str, field: &str) -> Result<String> {
    if s.chars().count() > MAX_DISPLAY_NAME {
        return Err(ApiError::field(
            field,
            format!("must be at most {MAX_DISPLAY_NAME} characters"),
        ));
    }
    Ok(s.to_owned())
}
