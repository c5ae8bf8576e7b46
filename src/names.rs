//! Typed resource names: `plans/{id}`, `calendars/{id}`, `accounts/{id}`,
//! `accounts/{a}/contracts/{c}`, `accounts/{a}/contracts/{c}/contacts/{email}` and
//! `accounts/{a}/cases/{c}` (with `accounts/-` for a listing across accounts). Parsing
//! and printing them happens here and nowhere else, so that no other module formats a
//! collection prefix or matches one; errors carry a [`Name`] and callers tell resource
//! types apart by its variant.

use std::fmt;

use crate::domain::catalog::check_id;

/// A request field that does not hold the resource name it must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// The field's path in the request, e.g. `contract`.
    pub field: String,
    /// What is wrong with it (`is required`, `must be a resource name ...`).
    pub description: String,
}

impl NameError {
    fn new(field: &str, description: impl Into<String>) -> NameError {
        NameError {
            field: field.to_owned(),
            description: description.into(),
        }
    }
}

type Result<T> = std::result::Result<T, NameError>;

/// The collection segment of plan names.
const PLANS: &str = "plans";
/// The collection segment of calendar names.
const CALENDARS: &str = "calendars";
/// The collection segment of account names.
const ACCOUNTS: &str = "accounts";
/// The collection segment of contract names, below an account.
const CONTRACTS: &str = "contracts";
/// The collection segment of case names, below an account.
const CASES: &str = "cases";

/// Parses `accounts/{a}/{collection}/{id}` given in request field `field`; `singular`
/// names the id in the error (`contract`).
fn account_child<'a>(
    name: &'a str,
    collection: &str,
    singular: &str,
    field: &str,
) -> Result<(&'a str, &'a str)> {
    let mut parts = name.split('/');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some(ACCOUNTS), Some(a), Some(c), Some(id), None) if c == collection => {
            check_id(a).map_err(|e| NameError::new(field, e.to_string()))?;
            check_id(id).map_err(|e| NameError::new(field, e.to_string()))?;
            Ok((a, id))
        }
        (Some(""), None, ..) => Err(NameError::new(field, "is required")),
        _ => Err(NameError::new(
            field,
            format!("must be a resource name accounts/{{account}}/{collection}/{{{singular}}}"),
        )),
    }
}

fn single_segment<'a>(name: &'a str, collection: &str, field: &str) -> Result<&'a str> {
    let id = name
        .strip_prefix(collection)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|id| !id.contains('/'))
        .ok_or_else(|| {
            if name.is_empty() {
                NameError::new(field, "is required")
            } else {
                NameError::new(
                    field,
                    format!("must be a resource name {collection}/{{id}}"),
                )
            }
        })?;
    check_id(id).map_err(|e| NameError::new(field, e.to_string()))?;
    Ok(id)
}

/// A plan's name, `plans/{id}`, borrowing its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanName<'a> {
    /// The plan's id.
    pub id: &'a str,
}

impl<'a> PlanName<'a> {
    /// Parses `plans/{id}` given in request field `field`.
    pub fn parse(name: &'a str, field: &str) -> Result<PlanName<'a>> {
        single_segment(name, PLANS, field).map(|id| PlanName { id })
    }

    /// The name as a string, built without `format!` (every check answer names its
    /// contract's plan).
    pub fn to_name_string(self) -> String {
        [PLANS, "/", self.id].concat()
    }
}

impl fmt::Display for PlanName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PLANS}/{}", self.id)
    }
}

/// A calendar's name, `calendars/{id}`, borrowing its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarName<'a> {
    /// The calendar's id.
    pub id: &'a str,
}

impl<'a> CalendarName<'a> {
    /// Parses `calendars/{id}` given in request field `field`.
    pub fn parse(name: &'a str, field: &str) -> Result<CalendarName<'a>> {
        single_segment(name, CALENDARS, field).map(|id| CalendarName { id })
    }
}

impl fmt::Display for CalendarName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{CALENDARS}/{}", self.id)
    }
}

/// An account's name, `accounts/{id}`, borrowing its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountName<'a> {
    /// The account's id.
    pub id: &'a str,
}

impl<'a> AccountName<'a> {
    /// Parses `accounts/{id}` given in request field `field`.
    pub fn parse(name: &'a str, field: &str) -> Result<AccountName<'a>> {
        single_segment(name, ACCOUNTS, field).map(|id| AccountName { id })
    }
}

impl fmt::Display for AccountName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ACCOUNTS}/{}", self.id)
    }
}

/// A contract's name, `accounts/{account}/contracts/{id}`, borrowing its ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractName<'a> {
    /// The id of the account the contract belongs to.
    pub account: &'a str,
    /// The contract's id within the account.
    pub id: &'a str,
}

impl<'a> ContractName<'a> {
    /// The name of contract `id` of account `account`.
    pub fn new(account: &'a str, id: &'a str) -> ContractName<'a> {
        ContractName { account, id }
    }

    /// Parses `accounts/{a}/contracts/{c}` given in request field `field`.
    pub fn parse(name: &'a str, field: &str) -> Result<ContractName<'a>> {
        account_child(name, CONTRACTS, "contract", field)
            .map(|(account, id)| ContractName { account, id })
    }

    /// The name as a string, built without `format!` (every deadline and check answer
    /// names its contract).
    pub fn to_name_string(self) -> String {
        [ACCOUNTS, "/", self.account, "/contracts/", self.id].concat()
    }

    /// Appends the name to `text`, in place.
    pub fn push_to(self, text: &mut String) {
        for part in [ACCOUNTS, "/", self.account, "/contracts/", self.id] {
            text.push_str(part);
        }
    }
}

impl fmt::Display for ContractName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ACCOUNTS}/{}/contracts/{}", self.account, self.id)
    }
}

/// A tracked case's name, `accounts/{account}/cases/{id}`, borrowing its ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseName<'a> {
    /// The id of the account the case belongs to.
    pub account: &'a str,
    /// The case's id within the account.
    pub id: &'a str,
}

impl<'a> CaseName<'a> {
    /// The name of case `id` of account `account`.
    pub fn new(account: &'a str, id: &'a str) -> CaseName<'a> {
        CaseName { account, id }
    }

    /// Parses `accounts/{a}/cases/{c}` given in request field `field`.
    pub fn parse(name: &'a str, field: &str) -> Result<CaseName<'a>> {
        account_child(name, CASES, "case", field).map(|(account, id)| CaseName { account, id })
    }
}

impl fmt::Display for CaseName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ACCOUNTS}/{}/{CASES}/{}", self.account, self.id)
    }
}

/// The parent of a listing below accounts: one account, or every account
/// (`accounts/-`, AIP-159).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountParent<'a> {
    /// `accounts/{id}`.
    One(&'a str),
    /// `accounts/-`.
    Every,
}

impl<'a> AccountParent<'a> {
    /// Parses `accounts/{id}` or `accounts/-` given in request field `field`.
    pub fn parse(name: &'a str, field: &str) -> Result<AccountParent<'a>> {
        if name == "accounts/-" {
            return Ok(AccountParent::Every);
        }
        AccountName::parse(name, field).map(|a| AccountParent::One(a.id))
    }

    /// The account, unless every account is meant.
    pub fn account(self) -> Option<&'a str> {
        match self {
            AccountParent::One(a) => Some(a),
            AccountParent::Every => None,
        }
    }
}

impl fmt::Display for AccountParent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountParent::One(id) => AccountName { id }.fmt(f),
            AccountParent::Every => write!(f, "{ACCOUNTS}/-"),
        }
    }
}

/// The name of a resource a store error is about, owning its parts: what the error
/// mapping prints and what callers match on to tell resource types apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// `plans/{id}`.
    Plan(String),
    /// `calendars/{id}`.
    Calendar(String),
    /// `accounts/{id}`.
    Account(String),
    /// `accounts/{account}/contracts/{id}`.
    Contract {
        /// The account's id.
        account: String,
        /// The contract's id.
        id: String,
    },
    /// `accounts/{account}/contracts/{id}/contacts/{email}` (boxed: errors carry names,
    /// and the rarest one should not make every error bigger).
    Contact(Box<ContactParts>),
    /// `accounts/{account}/cases/{id}`.
    Case {
        /// The account's id.
        account: String,
        /// The case's id.
        id: String,
    },
}

/// The parts of a designated contact's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactParts {
    /// The account's id.
    pub account: String,
    /// The contract's id.
    pub id: String,
    /// The contact's email address.
    pub email: String,
}

impl Name {
    /// `plans/{id}`.
    pub fn plan(id: &str) -> Name {
        Name::Plan(id.to_owned())
    }

    /// `calendars/{id}`.
    pub fn calendar(id: &str) -> Name {
        Name::Calendar(id.to_owned())
    }

    /// `accounts/{id}`.
    pub fn account(id: &str) -> Name {
        Name::Account(id.to_owned())
    }

    /// `accounts/{account}/contracts/{id}`.
    pub fn contract(account: &str, id: &str) -> Name {
        Name::Contract {
            account: account.to_owned(),
            id: id.to_owned(),
        }
    }

    /// `accounts/{account}/contracts/{id}/contacts/{email}`.
    pub fn contact(account: &str, id: &str, email: &str) -> Name {
        Name::Contact(Box::new(ContactParts {
            account: account.to_owned(),
            id: id.to_owned(),
            email: email.to_owned(),
        }))
    }

    /// `accounts/{account}/cases/{id}`.
    pub fn case(account: &str, id: &str) -> Name {
        Name::Case {
            account: account.to_owned(),
            id: id.to_owned(),
        }
    }

    /// The collection the resource is in (`plans`, `contracts`, ...): the resource type
    /// error details report.
    pub fn collection(&self) -> &'static str {
        match self {
            Name::Plan(_) => PLANS,
            Name::Calendar(_) => CALENDARS,
            Name::Account(_) => ACCOUNTS,
            Name::Contract { .. } => CONTRACTS,
            Name::Contact(_) => "contacts",
            Name::Case { .. } => CASES,
        }
    }
}

impl From<PlanName<'_>> for Name {
    fn from(n: PlanName<'_>) -> Name {
        Name::plan(n.id)
    }
}

impl From<CalendarName<'_>> for Name {
    fn from(n: CalendarName<'_>) -> Name {
        Name::calendar(n.id)
    }
}

impl From<AccountName<'_>> for Name {
    fn from(n: AccountName<'_>) -> Name {
        Name::account(n.id)
    }
}

impl From<ContractName<'_>> for Name {
    fn from(n: ContractName<'_>) -> Name {
        Name::contract(n.account, n.id)
    }
}

impl From<CaseName<'_>> for Name {
    fn from(n: CaseName<'_>) -> Name {
        Name::case(n.account, n.id)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Plan(id) => PlanName { id }.fmt(f),
            Name::Calendar(id) => CalendarName { id }.fmt(f),
            Name::Account(id) => AccountName { id }.fmt(f),
            Name::Contract { account, id } => ContractName { account, id }.fmt(f),
            Name::Contact(c) => {
                let contract = ContractName::new(&c.account, &c.id);
                write!(f, "{contract}/contacts/{}", c.email)
            }
            Name::Case { account, id } => CaseName { account, id }.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_as_they_parse() {
        let c = ContractName::parse("accounts/acme/contracts/c1", "contract").unwrap();
        assert_eq!(c, ContractName::new("acme", "c1"));
        assert_eq!(c.to_string(), "accounts/acme/contracts/c1");
        assert_eq!(c.to_name_string(), c.to_string());
        assert_eq!(Name::from(c).to_string(), c.to_string());
        let a = AccountName::parse("accounts/acme", "account").unwrap();
        assert_eq!(a.to_string(), "accounts/acme");
        let k = CaseName::parse("accounts/acme/cases/k1", "name").unwrap();
        assert_eq!(Name::from(k).to_string(), "accounts/acme/cases/k1");
        assert!(CaseName::parse("accounts/acme/contracts/k1", "name").is_err());
        assert_eq!(
            AccountParent::parse("accounts/-", "parent").unwrap(),
            AccountParent::Every
        );
        assert_eq!(
            Name::contact("a", "c", "x@y").to_string(),
            "accounts/a/contracts/c/contacts/x@y"
        );
    }

    #[test]
    fn bad_names_name_the_field() {
        let e = PlanName::parse("", "plan").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.description.as_str()),
            ("plan", "is required")
        );
        let e = PlanName::parse("calendars/x", "plan").unwrap_err();
        assert_eq!(e.description, "must be a resource name plans/{id}");
        let e = ContractName::parse("accounts/a", "contract").unwrap_err();
        assert!(
            e.description.starts_with("must be a resource name"),
            "{e:?}"
        );
        let e = ContractName::parse("", "contract").unwrap_err();
        assert_eq!(e.description, "is required");
    }
}
