//! Escalation paths: who a case escalates to, derived from the contract's effective
//! benefits.
//!
//! The escalation path ([`EscalationPath`]) names the technical account manager (benefit
//! `technical_account_manager`) and the senior support team (`senior_support_team`), or
//! the standard support queue when the contract has neither; `case_escalation_management`
//! marks the escalation as managed. When a case is at risk of a breach is the SLA's
//! business ([`super::sla::at_risk`]); whether a case qualifies for on-site escalation is an
//! entitlement rule ([`super::entitlement::case_condition`]).

use super::catalog::Benefit;
use super::contract::{Contract, TechnicalAccountManager, Terms};

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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::domain::catalog::builtin::builtin_plans;
    use crate::domain::contract::{ContractOverrides, ContractState};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
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
}
