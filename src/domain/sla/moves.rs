//! The case system's small moves on a tracked case's timeline (record the first
//! response or an update, pause, resume, change the priority, resolve), each idempotent
//! by its instant: the same move at the same instant again changes nothing, so a retried
//! call cannot add a second update. A move the timeline's current state does not allow
//! (a second, different first response; resuming a case that is not paused) is refused
//! with a sentence; a move that breaks a timeline rule (an update before the first
//! response) is left for the timeline's own check to name.

use chrono::{DateTime, TimeDelta, Utc};

use super::case::CaseTimeline;
use crate::domain::catalog::Priority;
use crate::domain::error::{CaseEvent, DomainError};
use crate::domain::pause::Pause;

/// The most events a tracked case's timeline may hold: the opening, the first response
/// and the resolution, plus every priority change, pause and update.
pub const MAX_TIMELINE_EVENTS: usize = 10_000;

/// How far after the service's clock a tracked case's instants may lie: the clock skew
/// allowed between the case system and this service. A tracked case records what
/// happened; an instant later than that is refused (EvaluateCase, which answers
/// questions about any timeline, takes them).
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// One small edit of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseMove {
    /// The first response was sent at this instant.
    FirstResponse(DateTime<Utc>),
    /// An update was sent at this instant.
    Update(DateTime<Utc>),
    /// The case was paused from this instant.
    Pause(DateTime<Utc>),
    /// The running pause ended at this instant.
    Resume(DateTime<Utc>),
    /// The priority changed at this instant.
    ChangePriority(DateTime<Utc>, Priority),
    /// The case was resolved at this instant.
    Resolve(DateTime<Utc>),
}

/// Whether a move changed the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// It did.
    Changed,
    /// The same move at the same instant is already recorded (a retry).
    AlreadyRecorded,
}

impl CaseTimeline {
    /// Every recorded event, counted as [`MAX_TIMELINE_EVENTS`] counts them.
    pub fn event_count(&self) -> usize {
        1 + usize::from(self.first_response_at.is_some())
            + usize::from(self.resolved_at.is_some())
            + self.priority_changes.len()
            + self.pauses.len()
            + self.updates.len()
    }

    /// Every recorded instant with the event it belongs to.
    fn instants(&self) -> impl Iterator<Item = (CaseEvent, DateTime<Utc>)> + '_ {
        let pauses = self.pauses.iter().enumerate().flat_map(|(i, p)| {
            std::iter::once((CaseEvent::Pause(i), p.start))
                .chain(p.end.map(|e| (CaseEvent::PauseEnd(i), e)))
        });
        std::iter::once((CaseEvent::Opening, self.opened_at))
            .chain(
                self.priority_changes
                    .iter()
                    .enumerate()
                    .map(|(i, (t, _))| (CaseEvent::PriorityChange(i), *t)),
            )
            .chain(pauses)
            .chain(
                self.first_response_at
                    .map(|t| (CaseEvent::FirstResponse, t)),
            )
            .chain(
                self.updates
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (CaseEvent::Update(i), *t)),
            )
            .chain(self.resolved_at.map(|t| (CaseEvent::Resolution, t)))
    }

    /// Checks that a tracked case records only what happened by `now` (give or take
    /// [`CLOCK_SKEW`]).
    pub fn check_recorded_by(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        let limit = now + CLOCK_SKEW;
        match self.instants().find(|(_, t)| *t > limit) {
            Some((event, t)) => Err(DomainError::CaseEventOutOfOrder {
                event,
                message: format!(
                    "{t} is after the service's clock ({now}, allowing {} minutes of skew): \
                     a tracked case records what happened",
                    CLOCK_SKEW.num_minutes()
                ),
            }),
            None => Ok(()),
        }
    }

    /// The pause still running, if any (the one without an end).
    fn running_pause(&mut self) -> Option<&mut Pause> {
        self.pauses.iter_mut().find(|p| p.end.is_none())
    }

    /// Applies `m`; `Err` says, in words, why the timeline's current state refuses it.
    pub fn apply_move(&mut self, m: CaseMove) -> Result<Moved, String> {
        use Moved::{AlreadyRecorded, Changed};
        match m {
            CaseMove::FirstResponse(t) => match self.first_response_at {
                Some(r) if r == t => Ok(AlreadyRecorded),
                Some(r) => Err(format!(
                    "a first response is already recorded at {r}; correct it with UpdateCase"
                )),
                None => {
                    self.first_response_at = Some(t);
                    Ok(Changed)
                }
            },
            CaseMove::Update(t) => {
                if self.first_response_at.is_none() {
                    return Err("no first response is recorded yet: record it first".into());
                }
                if self.updates.contains(&t) {
                    return Ok(AlreadyRecorded);
                }
                self.updates.push(t);
                Ok(Changed)
            }
            CaseMove::Pause(t) => match self.running_pause() {
                Some(p) if p.start == t => Ok(AlreadyRecorded),
                Some(p) => Err(format!("the case is already paused since {}", p.start)),
                None => {
                    self.pauses.push(Pause {
                        start: t,
                        end: None,
                    });
                    Ok(Changed)
                }
            },
            CaseMove::Resume(t) => {
                let ended_then = self.pauses.iter().any(|p| p.end == Some(t));
                match self.running_pause() {
                    Some(p) if t < p.start => {
                        Err(format!("the running pause began at {}, after {t}", p.start))
                    }
                    Some(p) => {
                        p.end = Some(t);
                        Ok(Changed)
                    }
                    None if ended_then => Ok(AlreadyRecorded),
                    None => Err("the case is not paused".into()),
                }
            }
            CaseMove::ChangePriority(t, priority) => {
                if self.priority_changes.contains(&(t, priority)) {
                    return Ok(AlreadyRecorded);
                }
                self.priority_changes.push((t, priority));
                Ok(Changed)
            }
            CaseMove::Resolve(t) => match self.resolved_at {
                Some(r) if r == t => Ok(AlreadyRecorded),
                Some(r) => Err(format!(
                    "the case is already resolved at {r}; reopen it with UpdateCase"
                )),
                None => {
                    if let Some(p) = self.running_pause() {
                        p.end = Some(t.max(p.start));
                    }
                    self.resolved_at = Some(t);
                    Ok(Changed)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).expect("instant")
    }

    fn opened() -> CaseTimeline {
        CaseTimeline {
            opened_at: at(0),
            priority: Priority::P1,
            priority_changes: vec![],
            pauses: vec![],
            first_response_at: None,
            updates: vec![],
            resolved_at: None,
        }
    }

    #[test]
    fn every_move_repeated_at_the_same_instant_changes_nothing() {
        let mut t = opened();
        let moves = [
            CaseMove::FirstResponse(at(1)),
            CaseMove::Update(at(2)),
            CaseMove::Pause(at(3)),
            CaseMove::Resume(at(4)),
            CaseMove::ChangePriority(at(5), Priority::P2),
            CaseMove::Resolve(at(6)),
        ];
        for m in moves {
            assert_eq!(t.apply_move(m), Ok(Moved::Changed), "{m:?}");
            let before = t.clone();
            assert_eq!(t.apply_move(m), Ok(Moved::AlreadyRecorded), "{m:?}");
            assert_eq!(t, before, "{m:?}");
        }
        assert_eq!(
            t.event_count(),
            6,
            "open, response, update, pause, change, resolution"
        );
        assert_eq!(t.updates, [at(2)]);
    }

    #[test]
    fn instants_after_the_clock_are_named() {
        let mut t = opened();
        assert_eq!(t.check_recorded_by(at(0)), Ok(()));
        t.pauses.push(Pause {
            start: at(1),
            end: Some(at(3)),
        });
        assert_eq!(t.check_recorded_by(at(3)), Ok(()));
        let e = t.check_recorded_by(at(2)).unwrap_err();
        assert!(
            matches!(
                e,
                DomainError::CaseEventOutOfOrder {
                    event: CaseEvent::PauseEnd(0),
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            t.check_recorded_by(at(3) - CLOCK_SKEW),
            Ok(()),
            "within the skew"
        );
    }

    #[test]
    fn moves_the_state_does_not_allow_are_refused() {
        let mut t = opened();
        assert!(
            t.apply_move(CaseMove::Update(at(1))).is_err(),
            "before a response"
        );
        assert!(t.apply_move(CaseMove::Resume(at(1))).is_err(), "not paused");
        t.apply_move(CaseMove::FirstResponse(at(1))).expect("first");
        assert!(t.apply_move(CaseMove::FirstResponse(at(2))).is_err());
        t.apply_move(CaseMove::Pause(at(3))).expect("pause");
        assert!(
            t.apply_move(CaseMove::Pause(at(4))).is_err(),
            "already paused"
        );
        assert!(
            t.apply_move(CaseMove::Resume(at(2))).is_err(),
            "before the pause"
        );
        t.apply_move(CaseMove::Resolve(at(5))).expect("resolve");
        assert_eq!(t.pauses[0].end, Some(at(5)), "resolving ends the pause");
        assert!(t.apply_move(CaseMove::Resolve(at(6))).is_err());
    }
}
