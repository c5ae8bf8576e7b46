//! Case SLA values: milestones, clocks and milestone statuses, obligation kinds and
//! statuses, escalation paths and at-risk assessments on the wire, and a case's pauses
//! from the wire.

use super::contract::pb_technical_account_manager;
use super::time::{opt_time, opt_ts, pb_delta, time};
use crate::domain::catalog::fraction;
use crate::domain::{
    AtRisk, ClockKind, EscalationPath, EscalationTarget, Milestone, MilestoneStatus,
    ObligationKind, ObligationStatus, Pause, Pauses,
};
use crate::grpc::error::{ApiError, FieldContext};
use crate::grpc::pb;

type Result<T> = std::result::Result<T, ApiError>;

/// A required milestone.
pub fn milestone(v: i32, field: &str) -> Result<Milestone> {
    match pb::Milestone::try_from(v) {
        Ok(pb::Milestone::FirstResponse) => Ok(Milestone::FirstResponse),
        Ok(pb::Milestone::NextUpdate) => Ok(Milestone::NextUpdate),
        _ => Err(ApiError::field(
            field,
            "must be MILESTONE_FIRST_RESPONSE or MILESTONE_NEXT_UPDATE",
        )),
    }
}

/// A milestone on the wire.
pub fn pb_milestone(m: Milestone) -> i32 {
    match m {
        Milestone::FirstResponse => pb::Milestone::FirstResponse,
        Milestone::NextUpdate => pb::Milestone::NextUpdate,
    }
    .into()
}

/// A clock on the wire.
pub fn pb_clock(c: ClockKind) -> i32 {
    match c {
        ClockKind::Continuous => pb::Clock::Continuous,
        ClockKind::BusinessHours => pb::Clock::BusinessHours,
    }
    .into()
}

/// A milestone status on the wire.
pub fn pb_milestone_status(s: MilestoneStatus) -> i32 {
    match s {
        MilestoneStatus::Met => pb::MilestoneStatus::Met,
        MilestoneStatus::Breached => pb::MilestoneStatus::Breached,
        MilestoneStatus::Pending => pb::MilestoneStatus::Pending,
        MilestoneStatus::Paused => pb::MilestoneStatus::Paused,
        MilestoneStatus::NoTarget => pb::MilestoneStatus::NoTarget,
        MilestoneStatus::Cancelled => pb::MilestoneStatus::Cancelled,
    }
    .into()
}

/// A required obligation kind.
pub fn obligation_kind(v: i32, field: &str) -> Result<ObligationKind> {
    match pb::ObligationKind::try_from(v) {
        Ok(pb::ObligationKind::WeeklyStatusCall) => Ok(ObligationKind::WeeklyStatusCall),
        Ok(pb::ObligationKind::DeploymentReview) => Ok(ObligationKind::DeploymentReview),
        Ok(pb::ObligationKind::RoadmapWebinar) => Ok(ObligationKind::RoadmapWebinar),
        _ => Err(ApiError::field(field, "must name an obligation kind")),
    }
}

/// An obligation kind on the wire.
pub fn pb_obligation_kind(k: ObligationKind) -> i32 {
    match k {
        ObligationKind::WeeklyStatusCall => pb::ObligationKind::WeeklyStatusCall,
        ObligationKind::DeploymentReview => pb::ObligationKind::DeploymentReview,
        ObligationKind::RoadmapWebinar => pb::ObligationKind::RoadmapWebinar,
    }
    .into()
}

/// An obligation status on the wire.
pub fn pb_obligation_status(s: ObligationStatus) -> i32 {
    match s {
        ObligationStatus::OnTrack => pb::ObligationStatus::OnTrack,
        ObligationStatus::Due => pb::ObligationStatus::Due,
        ObligationStatus::Overdue => pb::ObligationStatus::Overdue,
    }
    .into()
}

/// An escalation path on the wire.
pub fn pb_escalation(p: &EscalationPath) -> pb::EscalationPath {
    pb::EscalationPath {
        targets: p
            .targets
            .iter()
            .map(|t| {
                i32::from(match t {
                    EscalationTarget::TechnicalAccountManager => {
                        pb::EscalationTarget::TechnicalAccountManager
                    }
                    EscalationTarget::SeniorSupportTeam => pb::EscalationTarget::SeniorSupportTeam,
                    EscalationTarget::StandardSupportQueue => {
                        pb::EscalationTarget::StandardSupportQueue
                    }
                })
            })
            .collect(),
        technical_account_manager: p
            .technical_account_manager
            .as_ref()
            .map(pb_technical_account_manager),
        managed: p.managed,
        explanation: p.explanation(),
    }
}

/// An at-risk assessment on the wire.
pub fn pb_at_risk(a: &AtRisk) -> pb::AtRisk {
    pb::AtRisk {
        elapsed_fraction: a.elapsed_fraction(),
        elapsed: Some(pb_delta(a.elapsed)),
        highest_crossed_threshold: a.highest_crossed().map(fraction),
        thresholds: a
            .thresholds
            .iter()
            .map(|t| pb::ThresholdCrossing {
                threshold: fraction(t.millionths),
                crossed: t.crossed,
                cross_time: opt_ts(t.at),
            })
            .collect(),
        next_cross_time: a.next().and_then(|t| opt_ts(t.at)),
        explanation: a.explanation(),
    }
}

/// Pauses from the wire, checked once for the whole request.
pub fn pauses(list: &[pb::Interval], field: &str) -> Result<Pauses> {
    // `pause_list` has refused an inverted pause, naming its end_time; nothing else can
    // fail here.
    Pauses::new(pause_list(list, field)?).field(field)
}

/// Pauses from the wire as given (any order, possibly overlapping); a pause that ends
/// before it starts is refused, naming its `end_time` (an empty one is allowed).
pub fn pause_list(list: &[pb::Interval], field: &str) -> Result<Vec<Pause>> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let f = format!("{field}[{i}]");
            let pause = Pause {
                start: time(&p.start_time, &format!("{f}.start_time"))?,
                end: opt_time(&p.end_time, &format!("{f}.end_time"))?,
            };
            if pause.is_inverted() {
                return Err(ApiError::field(
                    format!("{f}.end_time"),
                    "must not be before start_time",
                ));
            }
            Ok(pause)
        })
        .collect()
}
