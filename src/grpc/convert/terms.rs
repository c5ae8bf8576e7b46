//! Plans and their terms: priorities, channels and coverage, benefit sets, priority terms
//! with their targets and at-risk thresholds, terms tables, plans on the wire, and
//! non-negative counts.

use std::time::Duration;

use super::time::{duration, pb_duration, ts};
use crate::domain::catalog::{MAX_TARGET_SECS, TermsTable};
use crate::domain::{AtRiskThresholds, Benefit, Channel, Coverage, Priority, PriorityTerms};
use crate::grpc::error::{ApiError, FieldContext};
use crate::grpc::pb;
use crate::names::PlanName;
use crate::store::records::PlanRecord;

type Result<T> = std::result::Result<T, ApiError>;

/// A required priority.
pub fn priority(v: i32, field: &str) -> Result<Priority> {
    match pb::Priority::try_from(v) {
        Ok(pb::Priority::P1) => Ok(Priority::P1),
        Ok(pb::Priority::P2) => Ok(Priority::P2),
        Ok(pb::Priority::P3) => Ok(Priority::P3),
        Ok(pb::Priority::P4) => Ok(Priority::P4),
        _ => Err(ApiError::field(field, "must be PRIORITY_P1 to PRIORITY_P4")),
    }
}

/// An optional priority: PRIORITY_UNSPECIFIED means none.
pub fn opt_priority(v: i32, field: &str) -> Result<Option<Priority>> {
    if v == i32::from(pb::Priority::Unspecified) {
        Ok(None)
    } else {
        priority(v, field).map(Some)
    }
}

/// A priority on the wire.
pub fn pb_priority(p: Priority) -> i32 {
    match p {
        Priority::P1 => pb::Priority::P1,
        Priority::P2 => pb::Priority::P2,
        Priority::P3 => pb::Priority::P3,
        Priority::P4 => pb::Priority::P4,
    }
    .into()
}

/// A required channel.
pub fn channel(v: i32, field: &str) -> Result<Channel> {
    match pb::Channel::try_from(v) {
        Ok(pb::Channel::Online) => Ok(Channel::Online),
        Ok(pb::Channel::Phone) => Ok(Channel::Phone),
        _ => Err(ApiError::field(
            field,
            "must be CHANNEL_ONLINE or CHANNEL_PHONE",
        )),
    }
}

/// A channel on the wire.
pub fn pb_channel(c: Channel) -> i32 {
    match c {
        Channel::Online => pb::Channel::Online,
        Channel::Phone => pb::Channel::Phone,
    }
    .into()
}

/// A coverage on the wire.
pub fn pb_coverage(c: Coverage) -> i32 {
    match c {
        Coverage::BusinessHours => pb::Coverage::BusinessHours,
        Coverage::AroundTheClock => pb::Coverage::Coverage24x7,
    }
    .into()
}

pub(super) fn benefit_set(
    keys: &[String],
    field: &str,
) -> Result<crate::domain::catalog::BenefitSet> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| k.parse::<Benefit>().field(&format!("{field}[{i}]")))
        .collect()
}

pub(super) fn benefit_keys(set: &crate::domain::catalog::BenefitSet) -> Vec<String> {
    set.iter().map(|b| b.key().to_owned()).collect()
}

/// Priority terms from the wire.
pub fn priority_terms(list: &[pb::PriorityTerms], field: &str) -> Result<Vec<PriorityTerms>> {
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let f = format!("{field}[{i}]");
            let coverage = match pb::Coverage::try_from(t.coverage) {
                // UNSPECIFIED is treated as business hours on input (types.proto).
                Ok(pb::Coverage::BusinessHours | pb::Coverage::Unspecified) => {
                    Coverage::BusinessHours
                }
                Ok(pb::Coverage::Coverage24x7) => Coverage::AroundTheClock,
                _ => {
                    return Err(ApiError::field(
                        format!("{f}.coverage"),
                        "must be COVERAGE_BUSINESS_HOURS or COVERAGE_24X7",
                    ));
                }
            };
            let target =
                |d: &Option<prost_types::Duration>, name: &str| -> Result<Option<Duration>> {
                    let field = format!("{f}.{name}");
                    let d = duration(d, &field)?;
                    match d {
                        Some(d) if d.as_secs() == 0 => {
                            Err(ApiError::field(field, "must be at least one second"))
                        }
                        Some(d) if d.as_secs() > MAX_TARGET_SECS => {
                            Err(ApiError::field(field, "must not exceed 100 years"))
                        }
                        d => Ok(d),
                    }
                };
            Ok(PriorityTerms {
                priority: priority(t.priority, &format!("{f}.priority"))?,
                coverage,
                first_response: target(&t.first_response_target, "first_response_target")?,
                update_cadence: target(&t.update_cadence, "update_cadence")?,
                at_risk: at_risk_thresholds(
                    &t.at_risk_thresholds,
                    &format!("{f}.at_risk_thresholds"),
                )?,
            })
        })
        .collect()
}

/// At-risk thresholds from the wire: empty means the default (types.proto,
/// PriorityTerms.at_risk_thresholds).
fn at_risk_thresholds(list: &[f64], field: &str) -> Result<AtRiskThresholds> {
    if list.is_empty() {
        return Ok(AtRiskThresholds::default());
    }
    AtRiskThresholds::from_fractions(list).field(field)
}

/// A full terms table from the wire (priorities not listed get no target).
pub fn terms_table(list: &[pb::PriorityTerms], field: &str) -> Result<TermsTable> {
    crate::domain::catalog::terms_table(priority_terms(list, field)?).field(field)
}

/// Terms on the wire: every priority, absent durations meaning "no target".
pub fn pb_terms(table: &[PriorityTerms]) -> Vec<pb::PriorityTerms> {
    table
        .iter()
        .map(|t| pb::PriorityTerms {
            priority: pb_priority(t.priority),
            coverage: pb_coverage(t.coverage),
            first_response_target: t.first_response.map(pb_duration),
            update_cadence: t.update_cadence.map(pb_duration),
            at_risk_thresholds: t.at_risk.fractions().collect(),
        })
        .collect()
}

/// A plan on the wire.
pub fn pb_plan(r: &PlanRecord) -> pb::Plan {
    let p = &r.plan;
    pb::Plan {
        name: PlanName { id: &p.id }.to_string(),
        display_name: p.display_name.clone(),
        built_in: p.built_in,
        benefits: benefit_keys(&p.benefits),
        channels: p.channels().into_iter().map(pb_channel).collect(),
        priority_terms: pb_terms(&p.terms),
        designated_contact_limit: i32::try_from(p.designated_contact_limit).unwrap_or(i32::MAX),
        etag: r.meta.etag(),
        create_time: Some(ts(r.meta.created_at)),
        update_time: Some(ts(r.meta.updated_at)),
    }
}

/// Plan benefits from the wire.
pub fn plan_benefits(keys: &[String], field: &str) -> Result<crate::domain::catalog::BenefitSet> {
    benefit_set(keys, field)
}

/// A non-negative count from the wire.
pub fn count(v: i32, field: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| ApiError::field(field, "must not be negative"))
}
