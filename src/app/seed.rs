//! Seed files: YAML that lists calendars, accounts and contracts (with designated
//! contacts) to load into a store at start, e.g. `examples/demo-seed.yaml`.
//!
//! A seed file is turned into ordinary [`Change`]s, applied in order by the principal
//! `seed`, so it is validated exactly like API calls; an entity that already exists is
//! left as it is, which makes loading a seed idempotent.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::Deserialize;

use crate::domain::text::Quoted;
use crate::domain::{
    Calendar, ClosedDate, Contract, ContractOverrides, ContractState, DateException,
    DesignatedContact, DomainError, OpenInterval, SpecialDate, TechnicalAccountManager,
};
use crate::names::Name;
use crate::store::{Change, Store, StoreError};

/// The whole seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// Calendars to create.
    #[serde(default)]
    pub calendars: Vec<SeedCalendar>,
    /// Accounts to create.
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    /// Contracts to create.
    #[serde(default)]
    pub contracts: Vec<SeedContract>,
}

/// A calendar in a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCalendar {
    /// Calendar id.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub display_name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Weekday (`monday`..`sunday`) to intervals such as `"09:00-17:00"`.
    #[serde(default)]
    pub weekly_hours: BTreeMap<String, Vec<String>>,
    /// Closed dates.
    #[serde(default)]
    pub closed_dates: Vec<SeedDate>,
    /// Special dates.
    #[serde(default)]
    pub special_dates: Vec<SeedDate>,
}

/// A closed or special date in a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDate {
    /// The date, `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// Intervals (special dates only).
    #[serde(default)]
    pub intervals: Vec<String>,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// An account in a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    /// Account id.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub display_name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Calendar id, if any.
    #[serde(default)]
    pub calendar: Option<String>,
}

/// A contract in a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedContract {
    /// Account id.
    pub account: String,
    /// Contract id.
    pub id: String,
    /// Plan id.
    pub plan: String,
    /// Start, RFC 3339.
    pub start: DateTime<Utc>,
    /// End, RFC 3339; absent for open-ended.
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// Benefits added on top of the plan's.
    #[serde(default)]
    pub added_benefits: Vec<String>,
    /// Plan benefits withheld.
    #[serde(default)]
    pub removed_benefits: Vec<String>,
    /// Extra designated contacts allowed.
    #[serde(default)]
    pub extra_designated_contacts: u32,
    /// Designated contacts.
    #[serde(default)]
    pub contacts: Vec<SeedContact>,
    /// The assigned technical account manager, if any.
    #[serde(default)]
    pub technical_account_manager: Option<SeedTechnicalAccountManager>,
}

/// A contract's technical account manager in a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTechnicalAccountManager {
    /// Email address.
    pub email: String,
    /// Name.
    #[serde(default)]
    pub display_name: String,
}

/// A designated contact in a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedContact {
    /// Email address.
    pub email: String,
    /// Name.
    #[serde(default)]
    pub display_name: String,
}

/// Why a seed file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("reading seed file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The YAML is malformed or has unknown fields.
    #[error("parsing seed file: {0}")]
    Parse(#[from] serde_yaml::Error),
    /// An entry breaks a domain rule.
    #[error("seed entry {entry}: {source}")]
    Invalid {
        /// Which entry.
        entry: String,
        /// The rule broken.
        source: DomainError,
    },
    /// The store refused an entry.
    #[error("seed entry {entry}: {source}")]
    Store {
        /// Which entry.
        entry: String,
        /// The store's refusal.
        source: StoreError,
    },
}

/// Parses `"09:00-17:00"`.
pub fn parse_interval(s: &str) -> Result<OpenInterval, DomainError> {
    let (open, close) = s
        .split_once('-')
        .ok_or_else(|| DomainError::InvalidTimeOfDay(Quoted::new(s)))?;
    Ok(OpenInterval {
        open: open.trim().parse()?,
        close: close.trim().parse()?,
    })
}

fn parse_weekday(s: &str) -> Result<Weekday, DomainError> {
    s.parse::<Weekday>()
        .map_err(|_| DomainError::InvalidDate(Quoted::new(&format!("unknown weekday {s}"))))
}

fn calendar_of(c: &SeedCalendar) -> Result<Calendar, DomainError> {
    let weekly = c
        .weekly_hours
        .iter()
        .map(|(day, ivs)| {
            Ok((
                parse_weekday(day)?,
                ivs.iter()
                    .map(|i| parse_interval(i))
                    .collect::<Result<_, _>>()?,
            ))
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    let mut exceptions: Vec<DateException> = c
        .closed_dates
        .iter()
        .map(|d| {
            DateException::Closed(ClosedDate {
                date: d.date,
                reason: d.reason.clone(),
            })
        })
        .collect();
    for d in &c.special_dates {
        exceptions.push(DateException::Special(SpecialDate {
            date: d.date,
            intervals: d
                .intervals
                .iter()
                .map(|i| parse_interval(i))
                .collect::<Result<_, _>>()?,
            reason: d.reason.clone(),
        }));
    }
    Calendar::new(&c.time_zone, weekly, exceptions)
}

fn benefits(keys: &[String]) -> Result<crate::domain::catalog::BenefitSet, DomainError> {
    keys.iter().map(|k| k.parse()).collect()
}

impl SeedFile {
    /// Reads and parses a seed file.
    pub fn read(path: &Path) -> Result<SeedFile, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Ok(serde_yaml::from_str(&text)?)
    }

    /// The changes that create everything in the file, in dependency order.
    pub fn changes(&self) -> Result<Vec<(String, Change)>, SeedError> {
        let invalid = |entry: String| move |source| SeedError::Invalid { entry, source };
        let mut out = Vec::new();
        for c in &self.calendars {
            let entry = Name::calendar(&c.id).to_string();
            let calendar = calendar_of(c).map_err(invalid(entry.clone()))?;
            out.push((
                entry,
                Change::CreateCalendar {
                    id: c.id.clone(),
                    display_name: c.display_name.clone(),
                    calendar: Arc::new(calendar),
                },
            ));
        }
        for a in &self.accounts {
            out.push((
                Name::account(&a.id).to_string(),
                Change::CreateAccount {
                    id: a.id.clone(),
                    display_name: a.display_name.clone(),
                    time_zone: a.time_zone.clone(),
                    calendar_id: a.calendar.clone(),
                },
            ));
        }
        for c in &self.contracts {
            let entry = Name::contract(&c.account, &c.id).to_string();
            let overrides = ContractOverrides {
                added_benefits: benefits(&c.added_benefits).map_err(invalid(entry.clone()))?,
                removed_benefits: benefits(&c.removed_benefits).map_err(invalid(entry.clone()))?,
                priority_terms: Vec::new(),
                extra_designated_contacts: c.extra_designated_contacts,
            };
            out.push((
                entry.clone(),
                Change::CreateContract(Contract {
                    id: c.id.clone(),
                    account_id: c.account.clone(),
                    plan_id: c.plan.clone(),
                    start: c.start,
                    end: c.end,
                    state: ContractState::Active,
                    terminated_at: None,
                    overrides,
                    contacts: Vec::new(),
                    technical_account_manager: c.technical_account_manager.as_ref().map(|t| {
                        TechnicalAccountManager {
                            display_name: t.display_name.clone(),
                            email: t.email.clone(),
                        }
                    }),
                    version: 1,
                }),
            ));
            for p in &c.contacts {
                out.push((
                    format!("{entry}/contacts/{}", p.email),
                    Change::AddContact {
                        account_id: c.account.clone(),
                        id: c.id.clone(),
                        contact: DesignatedContact {
                            email: p.email.clone(),
                            display_name: p.display_name.clone(),
                            added_at: c.start,
                        },
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Applies the file to a store; entries that already exist are skipped. Returns how
    /// many entries were created.
    pub async fn load_into(&self, store: &dyn Store) -> Result<usize, SeedError> {
        let mut created = 0;
        for (entry, change) in self.changes()? {
            match super::apply(store, change, "seed").await {
                Ok(_) => created += 1,
                Err(StoreError::AlreadyExists(_)) => {}
                Err(source) => return Err(SeedError::Store { entry, source }),
            }
        }
        Ok(created)
    }
}
