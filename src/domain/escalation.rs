//! Escalation management: warnings before a breach, who a case escalates to, and when a
//! case qualifies for on-site escalation.
//!
//! Every priority's terms carry at-risk thresholds, fractions of the target (default 50%,
//! 75% and 90%). For a milestone that is still open, [`assess`] reports how much of the
//! target has been used on the milestone's own clock (pauses excluded), which thresholds
//! have been crossed, and the instant each threshold is (or was) crossed. That instant is
//! an ordinary deadline for `fraction × target`, computed with [`due_after`] on the same
//! clock and pauses, so on the business-hours clock a threshold that would fall in closed
//! time moves to the next open time, exactly like the due instant does. Threshold targets
//! are rounded up to whole seconds, so at the reported instant the elapsed fraction has
//! reached the threshold. Fractions are kept in millionths ([`AtRiskThresholds`]), which
//! keeps terms comparable and copyable without floating point in the domain.
//!
//! The escalation path ([`EscalationPath`]) is derived from the contract's effective
//! benefits: the named technical account manager (benefit `technical_account_manager`)
//! and the senior support team (`senior_support_team`), or the standard support queue
//! when the contract has neither; `case_escalation_management` marks the escalation as
//! managed. On-site escalation ([`case_condition`]) is for P1 cases that the caller marks
//! as not solvable remotely.

use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::business_time::BusinessClock;
use super::calendar::Calendar;
use super::catalog::{Benefit, Priority};
use super::contract::{Contract, TechnicalAccountManager, Terms};
use super::deadline::{ClockKind, Deadline, consumed, due_after};
use super::entitlement::DecisionReason;
use super::error::DomainError;
use super::pause::Pauses;
use super::text::Stamp;

/// Most thresholds one priority may carry.
pub const MAX_THRESHOLDS: usize = 10;

/// One whole target, in millionths.
pub const MILLION: u32 = 1_000_000;

/// The thresholds every priority has unless a plan or contract says otherwise: 50%, 75%
/// and 90% of the target, in millionths.
pub const DEFAULT_THRESHOLDS: [u32; 3] = [500_000, 750_000, 900_000];

/// At-risk thresholds of one priority: 1 to [`MAX_THRESHOLDS`] fractions of the target,
/// each strictly between 0 and 1, strictly increasing, kept in millionths. Built only by
/// [`AtRiskThresholds::from_millionths`] or [`AtRiskThresholds::from_fractions`]; a fixed
/// array so that terms stay `Copy`-cheap and never allocate on the hot path.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<u32>", into = "Vec<u32>")]
pub struct AtRiskThresholds {
    /// How many entries of `millionths` are used.
    len: u8,
    /// The thresholds in millionths of the target, ascending; unused slots are 0.
    millionths: [u32; MAX_THRESHOLDS],
}

// Stored as the list of millionths, and checked again when read back.
impl TryFrom<Vec<u32>> for AtRiskThresholds {
    type Error = DomainError;
    fn try_from(v: Vec<u32>) -> Result<Self, Self::Error> {
        AtRiskThresholds::from_millionths(&v)
    }
}

impl From<AtRiskThresholds> for Vec<u32> {
    fn from(t: AtRiskThresholds) -> Self {
        t.millionths().to_vec()
    }
}

impl Default for AtRiskThresholds {
    fn default() -> Self {
        let mut millionths = [0; MAX_THRESHOLDS];
        millionths[..DEFAULT_THRESHOLDS.len()].copy_from_slice(&DEFAULT_THRESHOLDS);
        AtRiskThresholds {
            len: DEFAULT_THRESHOLDS.len() as u8,
            millionths,
        }
    }
}

impl fmt::Debug for AtRiskThresholds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.fractions()).finish()
    }
}

impl AtRiskThresholds {
    /// Thresholds from millionths of the target: 1 to 10 values in `1..=999_999`,
    /// strictly increasing.
    pub fn from_millionths(list: &[u32]) -> Result<Self, DomainError> {
        if list.is_empty() {
            return Err(DomainError::InvalidTerms(
                "at least one at-risk threshold is needed".into(),
            ));
        }
        if list.len() > MAX_THRESHOLDS {
            return Err(DomainError::InvalidTerms(format!(
                "{} at-risk thresholds given, at most {MAX_THRESHOLDS} are allowed",
                list.len()
            )));
        }
        for (i, m) in list.iter().enumerate() {
            if !(1..MILLION).contains(m) {
                return Err(DomainError::InvalidTerms(format!(
                    "at-risk threshold {i} ({}) must be strictly between 0 and 1",
                    fraction(*m)
                )));
            }
            if i > 0 && *m <= list[i - 1] {
                return Err(DomainError::InvalidTerms(format!(
                    "at-risk threshold {i} ({}) must be greater than threshold {} ({}); \
                     thresholds are strictly increasing (to a millionth)",
                    fraction(*m),
                    i - 1,
                    fraction(list[i - 1])
                )));
            }
        }
        let mut millionths = [0; MAX_THRESHOLDS];
        millionths[..list.len()].copy_from_slice(list);
        Ok(AtRiskThresholds {
            len: list.len() as u8,
            millionths,
        })
    }

    /// Thresholds from fractions of the target, each rounded to the nearest millionth
    /// and then checked like [`AtRiskThresholds::from_millionths`].
    pub fn from_fractions(list: &[f64]) -> Result<Self, DomainError> {
        let mut millionths = Vec::with_capacity(list.len());
        for (i, f) in list.iter().enumerate() {
            if !f.is_finite() || *f <= 0.0 || *f >= 1.0 {
                return Err(DomainError::InvalidTerms(format!(
                    "at-risk threshold {i} ({f}) must be strictly between 0 and 1"
                )));
            }
            // In (0, 1), so the product is in (0, 1e6) and fits a u32.
            millionths.push((f * f64::from(MILLION)).round() as u32);
        }
        Self::from_millionths(&millionths)
    }

    /// The thresholds in millionths, ascending.
    pub fn millionths(&self) -> &[u32] {
        &self.millionths[..usize::from(self.len)]
    }

    /// The thresholds as fractions of the target, ascending.
    pub fn fractions(&self) -> impl Iterator<Item = f64> + '_ {
        self.millionths().iter().map(|m| fraction(*m))
    }
}

/// A threshold in millionths as a fraction.
pub fn fraction(millionths: u32) -> f64 {
    f64::from(millionths) / f64::from(MILLION)
}

/// The clock time at which a threshold is crossed: `millionths / 1e6 × target`, rounded
/// up to a whole second.
pub fn threshold_target(target: Duration, millionths: u32) -> Duration {
    let product = u128::from(target.as_secs()) * u128::from(millionths);
    let secs = product.div_ceil(u128::from(MILLION));
    // At most `target`, since millionths < 1e6.
    Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
}

/// One threshold of a milestone, with when it is crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdCrossing {
    /// The threshold, in millionths of the target.
    pub millionths: u32,
    /// True if the elapsed time had reached the threshold at the evaluation instant.
    pub crossed: bool,
    /// The instant the counted time reaches the threshold (in the past when crossed);
    /// `None` while an open-ended pause stops the clock before it is reached.
    pub at: Option<DateTime<Utc>>,
}

/// How close an open milestone is to its deadline at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRisk {
    /// Clock time counted from the milestone's start to the evaluation instant, pauses
    /// excluded.
    pub elapsed: TimeDelta,
    /// The milestone's target.
    pub target: Duration,
    /// Every threshold of the priority, ascending.
    pub thresholds: Vec<ThresholdCrossing>,
}

impl AtRisk {
    /// `elapsed / target`: 0 before counting starts, 1 when the target is used up.
    pub fn elapsed_fraction(&self) -> f64 {
        let target = self.target.as_secs();
        if target == 0 {
            return 0.0;
        }
        self.elapsed.num_seconds().max(0) as f64 / target as f64
    }

    /// The highest threshold crossed, in millionths; `None` when none is.
    pub fn highest_crossed(&self) -> Option<u32> {
        self.thresholds
            .iter()
            .rev()
            .find(|t| t.crossed)
            .map(|t| t.millionths)
    }

    /// The lowest threshold not crossed yet, if any.
    pub fn next(&self) -> Option<&ThresholdCrossing> {
        self.thresholds.iter().find(|t| !t.crossed)
    }

    /// A sentence for people.
    pub fn explanation(&self) -> String {
        // Percent from millionths without float noise (0.07 is "7%", not "7.000000000000001%").
        let mut text = format!("{:.1}% of the target used", self.elapsed_fraction() * 100.0);
        match self.highest_crossed() {
            Some(m) => write!(text, "; at risk: past the {} threshold", Percent(m)).ok(),
            None => write!(text, "; no at-risk threshold crossed").ok(),
        };
        match self.next() {
            Some(ThresholdCrossing {
                millionths,
                at: Some(at),
                ..
            }) => write!(
                text,
                "; the {} threshold is crossed at {}",
                Percent(*millionths),
                Stamp(*at)
            )
            .ok(),
            Some(t) => write!(
                text,
                "; the {} threshold has no instant while the case is paused",
                Percent(t.millionths)
            )
            .ok(),
            None => None,
        };
        text
    }
}

/// A threshold in millionths as a percentage, without float noise: 500,000 is "50%" and
/// 70,000 is "7%" (not "7.000000000000001%"); 75,500 is "7.55%".
struct Percent(u32);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(10_000) {
            write!(f, "{}%", self.0 / 10_000)
        } else {
            write!(f, "{}%", f64::from(self.0) / 10_000.0)
        }
    }
}

/// Assesses an open milestone at `now`: the elapsed fraction of `target` on `clock` since
/// `start` (pauses excluded) and each threshold's crossing instant.
pub fn assess(
    thresholds: &AtRiskThresholds,
    clock: &BusinessClock<'_>,
    start: DateTime<Utc>,
    target: Duration,
    pauses: &Pauses,
    now: DateTime<Utc>,
) -> Result<AtRisk, DomainError> {
    let elapsed = consumed(clock, start, now, pauses)?;
    let elapsed_secs = u64::try_from(elapsed.num_seconds()).unwrap_or(0);
    let thresholds = thresholds
        .millionths()
        .iter()
        .map(|&millionths| {
            let part = threshold_target(target, millionths);
            Ok(ThresholdCrossing {
                millionths,
                crossed: elapsed_secs >= part.as_secs(),
                at: due_after(clock, start, part, pauses)?,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(AtRisk {
        elapsed,
        target,
        thresholds,
    })
}

/// Assesses a computed deadline at `now` with the pauses it was computed with. `None`
/// when there is no target, or when the deadline has already passed at `now` (the
/// milestone is no longer open: it is breached).
pub fn assess_deadline(
    d: &Deadline,
    thresholds: &AtRiskThresholds,
    calendar: &Calendar,
    pauses: &Pauses,
    now: DateTime<Utc>,
) -> Result<Option<AtRisk>, DomainError> {
    let Some(target) = d.target else {
        return Ok(None);
    };
    if d.due.is_some_and(|due| now > due) {
        return Ok(None);
    }
    let clock = match d.clock {
        ClockKind::Continuous => BusinessClock::Continuous,
        ClockKind::BusinessHours => BusinessClock::Calendar(calendar),
    };
    assess(thresholds, &clock, d.start, target, pauses, now).map(Some)
}

/// Who a case escalates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationTarget {
    /// The contract's named technical account manager.
    TechnicalAccountManager,
    /// The senior support team.
    SeniorSupportTeam,
    /// The standard support queue (contracts without a TAM or the senior team).
    StandardSupportQueue,
}

impl EscalationTarget {
    /// Stable snake_case name.
    pub fn key(self) -> &'static str {
        match self {
            EscalationTarget::TechnicalAccountManager => "technical_account_manager",
            EscalationTarget::SeniorSupportTeam => "senior_support_team",
            EscalationTarget::StandardSupportQueue => "standard_support_queue",
        }
    }
}

/// The escalation path of a contract, derived from its effective benefits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPath {
    /// Whom to escalate to, in order: the TAM, then the senior support team; or only the
    /// standard support queue.
    pub targets: Vec<EscalationTarget>,
    /// True when the contract includes case escalation management: the targets manage
    /// the case and escalate at once when a target may be missed.
    pub managed: bool,
    /// The contract's assigned TAM, when the path names the TAM and one is assigned.
    pub technical_account_manager: Option<TechnicalAccountManager>,
}

impl EscalationPath {
    /// The path of `contract` under its effective `terms`.
    pub fn of(contract: &Contract, terms: &Terms) -> EscalationPath {
        let has = |b| terms.benefits.contains(&b);
        let mut targets = Vec::with_capacity(2);
        if has(Benefit::TechnicalAccountManager) {
            targets.push(EscalationTarget::TechnicalAccountManager);
        }
        if has(Benefit::SeniorSupportTeam) {
            targets.push(EscalationTarget::SeniorSupportTeam);
        }
        if targets.is_empty() {
            targets.push(EscalationTarget::StandardSupportQueue);
        }
        let technical_account_manager = if has(Benefit::TechnicalAccountManager) {
            contract.technical_account_manager.clone()
        } else {
            None
        };
        EscalationPath {
            targets,
            managed: has(Benefit::CaseEscalationManagement),
            technical_account_manager,
        }
    }

    /// A sentence for people.
    pub fn explanation(&self) -> String {
        let mut text = String::from("escalates to ");
        for (i, t) in self.targets.iter().enumerate() {
            if i > 0 {
                text.push_str(", then ");
            }
            match (t, &self.technical_account_manager) {
                (EscalationTarget::TechnicalAccountManager, Some(tam)) => {
                    for part in [
                        "technical account manager ",
                        &tam.display_name,
                        " <",
                        &tam.email,
                        ">",
                    ] {
                        text.push_str(part);
                    }
                }
                (EscalationTarget::TechnicalAccountManager, None) => {
                    text.push_str("technical account manager (none assigned yet)");
                }
                (EscalationTarget::SeniorSupportTeam, _) => text.push_str("senior support team"),
                (EscalationTarget::StandardSupportQueue, _) => {
                    text.push_str("standard support queue");
                }
            }
        }
        if self.managed {
            text.push_str(" (managed escalation)");
        }
        text
    }
}

/// The case a benefit check is about, for benefits whose use depends on the case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseContext {
    /// The case's priority; `None` when the caller gave none.
    pub priority: Option<Priority>,
    /// The caller has determined that the case cannot be solved remotely.
    pub not_solvable_remotely: bool,
}

/// For a benefit that can only be used for some cases, why `case` does not qualify:
/// on-site escalation management is for P1 cases that cannot be solved remotely. `None`
/// when the case qualifies or the benefit does not depend on the case.
pub fn case_condition(benefit: Benefit, case: &CaseContext) -> Option<(DecisionReason, String)> {
    if benefit != Benefit::OnsiteEscalationManagement {
        return None;
    }
    match case.priority {
        None => Some((
            DecisionReason::CasePriorityNotEligible,
            format!("{benefit} is for P1 cases only and the request names no case priority"),
        )),
        Some(p) if p != Priority::P1 => Some((
            DecisionReason::CasePriorityNotEligible,
            format!("{benefit} is for P1 cases only, and the case is {p}"),
        )),
        Some(_) if !case.not_solvable_remotely => Some((
            DecisionReason::CaseSolvableRemotely,
            format!(
                "{benefit} is for P1 cases that cannot be solved remotely, and the case is not \
                 marked as such"
            ),
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{ClosedDate, DateException, OpenInterval, TimeOfDay};
    use crate::domain::catalog::builtin_plans;
    use crate::domain::contract::{ContractOverrides, ContractState};
    use crate::domain::pause::Pause;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const HOUR: u64 = 3600;

    #[test]
    fn thresholds_are_checked() {
        let d = AtRiskThresholds::default();
        assert_eq!(d.millionths(), &DEFAULT_THRESHOLDS);
        assert_eq!(d.fractions().collect::<Vec<_>>(), vec![0.5, 0.75, 0.9]);
        let ok = AtRiskThresholds::from_fractions(&[0.25, 0.6]).unwrap();
        assert_eq!(ok.millionths(), &[250_000, 600_000]);
        for bad in [
            &[][..],
            &[0.0],
            &[1.0],
            &[-0.5],
            &[f64::NAN],
            &[0.5, 0.5],
            &[0.75, 0.5],
            // Equal once rounded to a millionth.
            &[0.5, 0.500_000_1],
            // Rounds to 0 or to 1.
            &[0.000_000_1],
            &[0.999_999_9],
            &[
                0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11,
            ],
        ] {
            assert!(
                AtRiskThresholds::from_fractions(bad).is_err(),
                "{bad:?} must be refused"
            );
        }
        let ten: Vec<f64> = (1..=10).map(|i| f64::from(i) / 11.0).collect();
        assert_eq!(
            AtRiskThresholds::from_fractions(&ten)
                .unwrap()
                .millionths()
                .len(),
            10
        );
    }

    #[test]
    fn threshold_targets_round_up_to_whole_seconds() {
        // 0.9 x 30min = 1620s exactly; 1/3 x 10s = 3.33s -> 4s.
        assert_eq!(
            threshold_target(Duration::from_secs(1800), 900_000),
            Duration::from_secs(1620)
        );
        assert_eq!(
            threshold_target(Duration::from_secs(10), 333_333),
            Duration::from_secs(4)
        );
        // No overflow for a 100-year target.
        let long = Duration::from_secs(100 * 366 * 86_400);
        assert!(threshold_target(long, 999_999) < long);
    }

    #[test]
    fn continuous_clock_counts_every_second_and_skips_pauses() {
        // P1 premium: 30 min. Opened 10:00, paused 10:05-10:15, evaluated 10:20:
        // counted 5 + 5 = 10 min = 1/3 of the target, nothing crossed; 50% (15 min) is
        // reached at 10:25 (10 counted by 10:20, 5 more), 75% (22.5 min) at 10:32:30,
        // 90% (27 min) at 10:37.
        let pauses = Pauses::new(vec![Pause {
            start: t("2026-06-01T10:05:00Z"),
            end: Some(t("2026-06-01T10:15:00Z")),
        }])
        .unwrap();
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Continuous,
            t("2026-06-01T10:00:00Z"),
            Duration::from_secs(1800),
            &pauses,
            t("2026-06-01T10:20:00Z"),
        )
        .unwrap();
        assert_eq!(a.elapsed, TimeDelta::minutes(10));
        assert!((a.elapsed_fraction() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.highest_crossed(), None);
        let at: Vec<_> = a.thresholds.iter().map(|c| c.at.unwrap()).collect();
        assert_eq!(
            at,
            vec![
                t("2026-06-01T10:25:00Z"),
                t("2026-06-01T10:32:30Z"),
                t("2026-06-01T10:37:00Z")
            ]
        );
        assert_eq!(a.next().unwrap().millionths, 500_000);

        // At 10:33 the 50% and 75% thresholds are crossed, 90% is next.
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Continuous,
            t("2026-06-01T10:00:00Z"),
            Duration::from_secs(1800),
            &pauses,
            t("2026-06-01T10:33:00Z"),
        )
        .unwrap();
        assert_eq!(a.highest_crossed(), Some(750_000));
        assert_eq!(
            a.thresholds.iter().map(|c| c.crossed).collect::<Vec<_>>(),
            vec![true, true, false]
        );
        assert!(a.explanation().contains("75%"), "{}", a.explanation());
    }

    #[test]
    fn business_clock_moves_a_threshold_out_of_a_closed_day() {
        // Berlin office hours with Thu 2026-06-04 closed. 8h target opened Wed 13:00
        // CEST: Wed counts 4h until 17:00, so 50% (4h) is used up exactly at Wed 17:00
        // (a closing instant), 75% (6h) needs 2h more: Thu is closed, so Fri 11:00; 90%
        // (7h12m) is Fri 12:12.
        use chrono::Weekday::*;
        let nine_to_five = OpenInterval {
            open: TimeOfDay::hm(9, 0).unwrap(),
            close: TimeOfDay::hm(17, 0).unwrap(),
        };
        let cal = Calendar::new(
            "Europe/Berlin",
            [Mon, Tue, Wed, Thu, Fri]
                .into_iter()
                .map(|d| (d, vec![nine_to_five]))
                .collect(),
            vec![DateException::Closed(ClosedDate {
                date: "2026-06-04".parse().unwrap(),
                reason: "holiday".into(),
            })],
        )
        .unwrap();
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Calendar(&cal),
            t("2026-06-03T11:00:00Z"),
            Duration::from_secs(8 * HOUR),
            &Pauses::none(),
            t("2026-06-04T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(a.elapsed, TimeDelta::hours(4));
        assert_eq!(a.highest_crossed(), Some(500_000));
        let at: Vec<_> = a.thresholds.iter().map(|c| c.at.unwrap()).collect();
        assert_eq!(
            at,
            vec![
                t("2026-06-03T15:00:00Z"),
                t("2026-06-05T09:00:00Z"),
                t("2026-06-05T10:12:00Z")
            ]
        );
    }

    #[test]
    fn an_open_ended_pause_leaves_later_thresholds_without_an_instant() {
        // 1h continuous target from 10:00, paused from 10:40 without end: 50% (30 min)
        // was crossed at 10:30; 75% and 90% have no instant yet.
        let pauses = Pauses::new(vec![Pause {
            start: t("2026-06-01T10:40:00Z"),
            end: None,
        }])
        .unwrap();
        let a = assess(
            &AtRiskThresholds::default(),
            &BusinessClock::Continuous,
            t("2026-06-01T10:00:00Z"),
            Duration::from_secs(HOUR),
            &pauses,
            t("2026-06-01T11:30:00Z"),
        )
        .unwrap();
        assert_eq!(a.elapsed, TimeDelta::minutes(40));
        assert_eq!(a.thresholds[0].at, Some(t("2026-06-01T10:30:00Z")));
        assert_eq!((a.thresholds[1].at, a.thresholds[2].at), (None, None));
        assert_eq!(a.highest_crossed(), Some(500_000));
    }

    fn contract(plan: &str) -> Contract {
        Contract {
            id: "c".into(),
            account_id: "a".into(),
            plan_id: plan.into(),
            start: t("2026-01-01T00:00:00Z"),
            end: None,
            state: ContractState::Active,
            terminated_at: None,
            overrides: ContractOverrides::default(),
            contacts: vec![],
            technical_account_manager: Some(TechnicalAccountManager {
                display_name: "Tess Adams".into(),
                email: "tess@vendor.example".into(),
            }),
            version: 1,
        }
    }

    #[test]
    fn escalation_path_per_tier() {
        for plan in builtin_plans() {
            let c = contract(&plan.id);
            let path = EscalationPath::of(&c, &c.terms(&plan));
            if plan.id == "premium" {
                assert_eq!(
                    path.targets,
                    vec![
                        EscalationTarget::TechnicalAccountManager,
                        EscalationTarget::SeniorSupportTeam
                    ]
                );
                assert!(path.managed);
                assert_eq!(
                    path.technical_account_manager.as_ref().unwrap().email,
                    "tess@vendor.example"
                );
                assert!(path.explanation().contains("Tess Adams"));
            } else {
                assert_eq!(path.targets, vec![EscalationTarget::StandardSupportQueue]);
                assert!(!path.managed);
                // A TAM stored on a contract without the benefit is not named.
                assert_eq!(path.technical_account_manager, None);
            }
        }
        // Removing the TAM benefit from a premium contract leaves the senior team.
        let plans = builtin_plans();
        let premium = plans.iter().find(|p| p.id == "premium").unwrap();
        let mut c = contract("premium");
        c.overrides
            .removed_benefits
            .insert(Benefit::TechnicalAccountManager);
        let path = EscalationPath::of(&c, &c.terms(premium));
        assert_eq!(path.targets, vec![EscalationTarget::SeniorSupportTeam]);
        assert_eq!(path.technical_account_manager, None);
    }

    #[test]
    fn onsite_needs_a_p1_case_not_solvable_remotely() {
        let onsite = Benefit::OnsiteEscalationManagement;
        let case = |priority, not_solvable_remotely| CaseContext {
            priority,
            not_solvable_remotely,
        };
        assert_eq!(
            case_condition(onsite, &case(Some(Priority::P1), true)),
            None
        );
        assert_eq!(
            case_condition(onsite, &case(Some(Priority::P1), false)).map(|r| r.0),
            Some(DecisionReason::CaseSolvableRemotely)
        );
        for p in [None, Some(Priority::P2), Some(Priority::P4)] {
            assert_eq!(
                case_condition(onsite, &case(p, true)).map(|r| r.0),
                Some(DecisionReason::CasePriorityNotEligible)
            );
        }
        // Other benefits do not depend on the case.
        assert_eq!(
            case_condition(Benefit::PhoneSupport, &CaseContext::default()),
            None
        );
    }
}
