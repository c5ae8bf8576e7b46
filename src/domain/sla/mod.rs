//! The service level agreement's arithmetic, one group: when each milestone of a case is
//! due ([`deadline`]), how close an open milestone is to its deadline ([`at_risk`]), and a
//! whole case evaluated from its timeline ([`case`]), and the small moves a tracked case's
//! timeline takes ([`moves`]). Everything here runs on a
//! [`BusinessClock`](super::calendar::business_clock::BusinessClock) and a priority's terms
//! from the catalog; nothing here decides who may do what.

pub mod at_risk;
pub mod case;
pub mod deadline;
pub mod moves;
