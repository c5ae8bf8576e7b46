//! The three built-in support tiers (standard, extended, premium), exactly as the seed
//! page's comparison table states them: their benefits, per-priority terms and designated
//! contact limits.

use std::time::Duration;

use super::{AtRiskThresholds, Benefit, Coverage, Plan, Priority, PriorityTerms};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

fn terms(
    priority: Priority,
    coverage: Coverage,
    first_response: u64,
    update_cadence: u64,
) -> PriorityTerms {
    PriorityTerms {
        priority,
        coverage,
        first_response: Some(Duration::from_secs(first_response)),
        update_cadence: Some(Duration::from_secs(update_cadence)),
        at_risk: AtRiskThresholds::default(),
    }
}

/// The three built-in tiers, exactly as the seed's comparison table states them.
pub fn builtin_plans() -> Vec<Plan> {
    use Benefit::*;
    use Coverage::*;
    use Priority::*;
    let common = [CommunityKnowledgeBase, OnlineSupport];
    let premium_only = [
        PhoneSupport,
        TechnicalAccountManager,
        WeeklyStatusCalls,
        StrategicPlanning,
        SpecialPrograms,
        DeploymentReview,
        UpgradeSupport,
        SeniorSupportTeam,
        CriticalPhoneSupport24x7,
        CaseEscalationManagement,
        OnsiteEscalationManagement,
        RoadmapParticipation,
        PriorityFeatureRequests,
        ProductFeedbackSessions,
    ];
    let plan = |id: &str, name: &str, benefits: Vec<Benefit>, t: [PriorityTerms; 2], limit| Plan {
        id: id.to_owned(),
        display_name: name.to_owned(),
        built_in: true,
        benefits: benefits.into_iter().collect(),
        terms: [
            t[0].clone(),
            t[1].clone(),
            PriorityTerms::none(P3),
            PriorityTerms::none(P4),
        ],
        designated_contact_limit: limit,
    };
    vec![
        plan(
            "standard",
            "Standard",
            common.to_vec(),
            [
                terms(P1, BusinessHours, 8 * HOUR, 24 * HOUR),
                terms(P2, BusinessHours, 24 * HOUR, 72 * HOUR),
            ],
            3,
        ),
        plan(
            "extended",
            "Extended",
            common.to_vec(),
            [
                terms(P1, AroundTheClock, 2 * HOUR, 24 * HOUR),
                terms(P2, BusinessHours, 8 * HOUR, 48 * HOUR),
            ],
            5,
        ),
        plan(
            "premium",
            "Premium",
            common.iter().chain(premium_only.iter()).copied().collect(),
            [
                terms(P1, AroundTheClock, 30 * MINUTE, 12 * HOUR),
                terms(P2, AroundTheClock, 2 * HOUR, 24 * HOUR),
            ],
            5,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Channel;

    #[test]
    fn only_premium_has_phone() {
        let plans = builtin_plans();
        let phone: Vec<bool> = plans
            .iter()
            .map(|p| p.channels().contains(&Channel::Phone))
            .collect();
        assert_eq!(phone, vec![false, false, true]);
    }
}
