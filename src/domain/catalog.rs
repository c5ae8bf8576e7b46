//! The product catalog: benefits, channels, priorities, per-priority terms and plans.
//!
//! This module is the single source of truth for the three built-in support tiers
//! (standard, extended, premium) from the seed page; the in-memory store and the
//! Postgres seed both read [`builtin::builtin_plans`]. Custom plans are built with
//! [`Plan::new`], which checks them the same way.

pub mod builtin;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::error::DomainError;
use super::text::Quoted;

/// A support benefit a plan may include. Keys are stable snake_case strings used on the
/// wire and in storage; never rename one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum Benefit {
    /// Access to the community and the knowledge base.
    CommunityKnowledgeBase,
    /// Cases opened through the online portal.
    OnlineSupport,
    /// Cases opened by phone.
    PhoneSupport,
    /// A named technical account manager (TAM).
    TechnicalAccountManager,
    /// Regular status calls and service reports (weekly call).
    WeeklyStatusCalls,
    /// Strategic planning sessions.
    StrategicPlanning,
    /// Special programs and forum access.
    SpecialPrograms,
    /// Deployment review, at least twice per contract year.
    DeploymentReview,
    /// Upgrade support.
    UpgradeSupport,
    /// Cases handled by the senior support team.
    SeniorSupportTeam,
    /// 24x7 phone support for critical issues.
    CriticalPhoneSupport24x7,
    /// Case escalation and management.
    CaseEscalationManagement,
    /// On-site escalation management for a P1 that cannot be solved remotely.
    OnsiteEscalationManagement,
    /// Product roadmap participation (quarterly webinars).
    RoadmapParticipation,
    /// Priority review of feature requests.
    PriorityFeatureRequests,
    /// Product feedback sessions.
    ProductFeedbackSessions,
}

impl Benefit {
    /// Every benefit, in catalog order.
    pub const ALL: [Benefit; 16] = [
        Benefit::CommunityKnowledgeBase,
        Benefit::OnlineSupport,
        Benefit::PhoneSupport,
        Benefit::TechnicalAccountManager,
        Benefit::WeeklyStatusCalls,
        Benefit::StrategicPlanning,
        Benefit::SpecialPrograms,
        Benefit::DeploymentReview,
        Benefit::UpgradeSupport,
        Benefit::SeniorSupportTeam,
        Benefit::CriticalPhoneSupport24x7,
        Benefit::CaseEscalationManagement,
        Benefit::OnsiteEscalationManagement,
        Benefit::RoadmapParticipation,
        Benefit::PriorityFeatureRequests,
        Benefit::ProductFeedbackSessions,
    ];

    /// The stable snake_case key of this benefit.
    pub fn key(self) -> &'static str {
        match self {
            Benefit::CommunityKnowledgeBase => "community_knowledge_base",
            Benefit::OnlineSupport => "online_support",
            Benefit::PhoneSupport => "phone_support",
            Benefit::TechnicalAccountManager => "technical_account_manager",
            Benefit::WeeklyStatusCalls => "weekly_status_calls",
            Benefit::StrategicPlanning => "strategic_planning",
            Benefit::SpecialPrograms => "special_programs",
            Benefit::DeploymentReview => "deployment_review",
            Benefit::UpgradeSupport => "upgrade_support",
            Benefit::SeniorSupportTeam => "senior_support_team",
            Benefit::CriticalPhoneSupport24x7 => "critical_phone_support_24x7",
            Benefit::CaseEscalationManagement => "case_escalation_management",
            Benefit::OnsiteEscalationManagement => "onsite_escalation_management",
            Benefit::RoadmapParticipation => "roadmap_participation",
            Benefit::PriorityFeatureRequests => "priority_feature_requests",
            Benefit::ProductFeedbackSessions => "product_feedback_sessions",
        }
    }
}

impl fmt::Display for Benefit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl TryFrom<String> for Benefit {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Benefit> for String {
    fn from(b: Benefit) -> String {
        b.key().to_owned()
    }
}

impl From<Vec<Benefit>> for BenefitSet {
    fn from(v: Vec<Benefit>) -> Self {
        v.into_iter().collect()
    }
}

impl From<BenefitSet> for Vec<Benefit> {
    fn from(s: BenefitSet) -> Self {
        s.iter().collect()
    }
}

impl FromStr for Benefit {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Benefit::ALL
            .into_iter()
            .find(|b| b.key() == s)
            .ok_or_else(|| DomainError::UnknownBenefit(Quoted::new(s)))
    }
}

/// A set of benefits, as a bit set: copying or checking it never allocates, which keeps
/// entitlement checks and deadline computations off the allocator.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "Vec<Benefit>", into = "Vec<Benefit>")]
pub struct BenefitSet(u32);

impl BenefitSet {
    /// The empty set.
    pub const fn new() -> BenefitSet {
        BenefitSet(0)
    }

    fn bit(b: Benefit) -> u32 {
        1 << (b as u32)
    }

    /// True if `b` is in the set.
    pub fn contains(&self, b: &Benefit) -> bool {
        self.0 & Self::bit(*b) != 0
    }

    /// Adds `b`; true if it was not there.
    pub fn insert(&mut self, b: Benefit) -> bool {
        let had = self.contains(&b);
        self.0 |= Self::bit(b);
        !had
    }

    /// Removes `b`; true if it was there.
    pub fn remove(&mut self, b: &Benefit) -> bool {
        let had = self.contains(b);
        self.0 &= !Self::bit(*b);
        had
    }

    /// The benefits in both sets.
    pub fn intersection(&self, other: &BenefitSet) -> BenefitSet {
        BenefitSet(self.0 & other.0)
    }

    /// The benefits of `self` that are not in `other`.
    pub fn difference(&self, other: &BenefitSet) -> BenefitSet {
        BenefitSet(self.0 & !other.0)
    }

    /// The benefits in either set.
    pub fn union(&self, other: &BenefitSet) -> BenefitSet {
        BenefitSet(self.0 | other.0)
    }

    /// True if the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Number of benefits in the set.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The benefits, in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = Benefit> + '_ {
        Benefit::ALL.into_iter().filter(|b| self.contains(b))
    }
}

impl std::fmt::Debug for BenefitSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Benefit> for BenefitSet {
    fn from_iter<I: IntoIterator<Item = Benefit>>(iter: I) -> Self {
        let mut s = BenefitSet::new();
        s.extend(iter);
        s
    }
}

impl Extend<Benefit> for BenefitSet {
    fn extend<I: IntoIterator<Item = Benefit>>(&mut self, iter: I) {
        for b in iter {
            self.insert(b);
        }
    }
}

impl<const N: usize> From<[Benefit; N]> for BenefitSet {
    fn from(a: [Benefit; N]) -> Self {
        a.into_iter().collect()
    }
}

/// A way a customer can reach support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// The online portal.
    Online,
    /// The phone line.
    Phone,
}

impl Channel {
    /// The benefit that grants this channel.
    pub fn benefit(self) -> Benefit {
        match self {
            Channel::Online => Benefit::OnlineSupport,
            Channel::Phone => Benefit::PhoneSupport,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Channel::Online => "online",
            Channel::Phone => "phone",
        })
    }
}

/// A case priority. The seed defines targets for P1 and P2 only; P3 and P4 exist so that
/// callers can ask about them and get an explicit "no target".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Priority {
    /// Critical.
    P1,
    /// High.
    P2,
    /// Medium.
    P3,
    /// Low.
    P4,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// Index 0..4, used for per-priority tables.
    pub fn index(self) -> usize {
        self as usize
    }

    /// `P1` to `P4`, as people write them.
    pub fn label(self) -> &'static str {
        ["P1", "P2", "P3", "P4"][self.index()]
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// When support for a priority is staffed, which decides the clock its targets run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Coverage {
    /// Only during the account's business hours: targets count open time only.
    BusinessHours,
    /// Around the clock: targets count every second.
    AroundTheClock,
}

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

/// The terms that apply to one priority under a plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriorityTerms {
    /// The priority these terms are for.
    pub priority: Priority,
    /// When support is staffed for this priority, and so which clock targets use.
    pub coverage: Coverage,
    /// Time allowed until the first response; `None` means no target.
    pub first_response: Option<Duration>,
    /// Time allowed between updates after the first response; `None` means no target.
    pub update_cadence: Option<Duration>,
    /// Fractions of each target at which an open milestone is reported at risk, so that
    /// callers can escalate before a breach (default 50%, 75%, 90%).
    #[serde(default)]
    pub at_risk: AtRiskThresholds,
}

impl PriorityTerms {
    /// Terms with no target at all, staffed in business hours.
    pub fn none(priority: Priority) -> Self {
        PriorityTerms {
            priority,
            coverage: Coverage::BusinessHours,
            first_response: None,
            update_cadence: None,
            at_risk: AtRiskThresholds::default(),
        }
    }

    fn check(&self) -> Result<(), DomainError> {
        for (field, d) in [
            ("first_response_target", self.first_response),
            ("update_cadence", self.update_cadence),
        ] {
            if let Some(d) = d {
                if d.as_secs() == 0 {
                    return Err(DomainError::InvalidTerms(format!(
                        "{} {}: {field} must be at least one second",
                        self.priority, field
                    )));
                }
                if d.as_secs() > MAX_TARGET_SECS {
                    return Err(DomainError::InvalidTerms(format!(
                        "{}: {field} exceeds 100 years",
                        self.priority
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Targets are refused beyond a hundred years: no support contract means more, and it
/// keeps every instant arithmetic far from overflow.
pub const MAX_TARGET_SECS: u64 = 100 * 366 * 86_400;

/// Per-priority terms, one slot per priority.
pub type TermsTable = [PriorityTerms; 4];

/// A support plan: what a contract on it entitles an account to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The plan's id, e.g. `premium` (the resource name is `plans/{id}`).
    pub id: String,
    /// Human-readable name.
    pub display_name: String,
    /// True for the three built-in tiers, which are read-only.
    pub built_in: bool,
    /// The benefits included.
    pub benefits: BenefitSet,
    /// Terms per priority, indexed by [`Priority::index`].
    pub terms: TermsTable,
    /// How many designated contacts a contract on this plan may hold.
    pub designated_contact_limit: u32,
}

impl Plan {
    /// Builds a custom plan, checking its terms.
    pub fn new(
        id: String,
        display_name: String,
        benefits: BenefitSet,
        terms: Vec<PriorityTerms>,
        designated_contact_limit: u32,
    ) -> Result<Plan, DomainError> {
        check_id(&id)?;
        Ok(Plan {
            id,
            display_name,
            built_in: false,
            benefits,
            terms: terms_table(terms)?,
            designated_contact_limit,
        })
    }

    /// The channels this plan offers, derived from its benefits.
    pub fn channels(&self) -> Vec<Channel> {
        channels_of(&self.benefits)
    }
}

/// The channels a benefit set grants.
pub fn channels_of(benefits: &BenefitSet) -> Vec<Channel> {
    [Channel::Online, Channel::Phone]
        .into_iter()
        .filter(|c| benefits.contains(&c.benefit()))
        .collect()
}

/// Builds a full per-priority table from a list of terms; priorities not listed get no
/// target; a priority listed twice is refused.
pub fn terms_table(terms: Vec<PriorityTerms>) -> Result<TermsTable, DomainError> {
    let mut table = Priority::ALL.map(PriorityTerms::none);
    let mut seen = [false; 4];
    for t in terms {
        t.check()?;
        let i = t.priority.index();
        if seen[i] {
            return Err(DomainError::InvalidTerms(format!(
                "{} is listed more than once",
                t.priority
            )));
        }
        seen[i] = true;
        table[i] = t;
    }
    Ok(table)
}

/// Checks a resource id: 1-63 characters, lowercase letters, digits and hyphens,
/// starting with a letter or digit and not ending with a hyphen (AIP-122, with digits
/// allowed first so that contracts can be named by year, e.g. `contracts/2026`).
pub fn check_id(id: &str) -> Result<(), DomainError> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(DomainError::InvalidId(Quoted::new(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benefit_keys_round_trip_and_are_unique() {
        let keys: std::collections::BTreeSet<&str> = Benefit::ALL.iter().map(|b| b.key()).collect();
        assert_eq!(keys.len(), Benefit::ALL.len());
        for b in Benefit::ALL {
            assert_eq!(b.key().parse::<Benefit>().unwrap(), b);
        }
        assert!("tam".parse::<Benefit>().is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("gold-2026").is_ok());
        for bad in ["", "Gold", "-lives", "a_b", "x-", &"a".repeat(64)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicate_priority_is_refused() {
        let t = PriorityTerms::none(Priority::P1);
        assert!(terms_table(vec![t.clone(), t]).is_err());
    }

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
}
