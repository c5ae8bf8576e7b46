//! Pauses: the intervals during which a case waits on the customer and no clock counts.
//!
//! Pauses arrive in any order and may overlap. [`Pauses`] is the checked form every
//! deadline, explanation and at-risk assessment is computed with: built once, at the
//! edge, by [`Pauses::new`], which refuses a pause that ends before it starts, drops
//! empty ones (they pause nothing), and keeps the rest sorted by start with overlapping (or touching) ones merged, so that
//! overlapping time counts once. Code that holds a `&Pauses` never checks them again.

use chrono::{DateTime, Utc};

use super::error::DomainError;

/// An interval during which the case waits on the customer and no clock counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    /// When the pause began.
    pub start: DateTime<Utc>,
    /// When it ended; `None` while the case is still paused.
    pub end: Option<DateTime<Utc>>,
}

impl Pause {
    /// True when the pause ends before it starts: such a pause is refused. One that ends
    /// when it starts is empty, allowed (`Interval.end_time` "must not be before
    /// start_time") and pauses nothing.
    pub fn is_inverted(&self) -> bool {
        self.end.is_some_and(|e| e < self.start)
    }
}

/// Pauses sorted by start, none inverted, overlapping ones merged. Built only by
/// [`Pauses::new`] (or empty, [`Pauses::none`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pauses(Vec<Pause>);

impl Pauses {
    /// Checks pauses given in any order: refuses an inverted one, drops empty ones, sorts
    /// the rest and merges overlapping ones (overlapping time counts once).
    pub fn new(mut pauses: Vec<Pause>) -> Result<Pauses, DomainError> {
        if let Some(p) = pauses.iter().find(|p| p.is_inverted()) {
            return Err(DomainError::InvalidTimeline(format!(
                "pause starting {} ends before it starts",
                p.start
            )));
        }
        pauses.retain(|p| p.end != Some(p.start));
        pauses.sort_by_key(|p| p.start);
        let mut merged: Vec<Pause> = Vec::with_capacity(pauses.len());
        for p in pauses {
            match merged.last_mut() {
                Some(last) if last.end.is_none_or(|e| e >= p.start) => {
                    last.end = match (last.end, p.end) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
                _ => merged.push(p),
            }
        }
        Ok(Pauses(merged))
    }

    /// No pause at all.
    pub fn none() -> Pauses {
        Pauses::default()
    }

    /// True when there is no pause.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pauses, sorted by start and non-overlapping.
    pub fn iter(&self) -> std::slice::Iter<'_, Pause> {
        self.0.iter()
    }

    /// The pauses, sorted by start and non-overlapping.
    pub fn as_slice(&self) -> &[Pause] {
        &self.0
    }

    /// The pauses as known at the instant `at`: those begun by then, and one that has not
    /// ended by then is still running.
    pub fn as_known_at(mut self, at: DateTime<Utc>) -> Pauses {
        // Still sorted and merged: merged pauses are apart, so a pause left open here
        // (it ends after `at`) is followed only by pauses beginning after `at`, which go.
        self.0.retain(|p| p.start <= at);
        for p in &mut self.0 {
            p.end = p.end.filter(|e| *e <= at);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn pause(start: &str, end: Option<&str>) -> Pause {
        Pause {
            start: t(start),
            end: end.map(t),
        }
    }

    #[test]
    fn inverted_pauses_are_refused() {
        for end in ["2026-06-01T09:59:59Z", "2026-06-01T09:00:00Z"] {
            let pauses = vec![
                pause("2026-06-01T08:00:00Z", Some("2026-06-01T08:30:00Z")),
                pause("2026-06-01T10:00:00Z", Some(end)),
            ];
            assert_eq!(
                Pauses::new(pauses),
                Err(DomainError::InvalidTimeline(
                    "pause starting 2026-06-01 10:00:00 UTC ends before it starts".into()
                ))
            );
        }
    }

    #[test]
    fn an_empty_pause_is_allowed_and_pauses_nothing() {
        let empty = pause("2026-06-01T10:00:00Z", Some("2026-06-01T10:00:00Z"));
        assert!(!empty.is_inverted());
        assert_eq!(Pauses::new(vec![empty]), Ok(Pauses::none()));
    }

    #[test]
    fn pauses_are_sorted_and_overlaps_merged() {
        let pauses = Pauses::new(vec![
            pause("2026-06-01T14:00:00Z", Some("2026-06-01T15:00:00Z")),
            pause("2026-06-01T10:00:00Z", Some("2026-06-01T11:00:00Z")),
            // Overlaps the 10-11 pause, and touches the next one.
            pause("2026-06-01T10:30:00Z", Some("2026-06-01T12:00:00Z")),
            pause("2026-06-01T12:00:00Z", Some("2026-06-01T12:15:00Z")),
            // Inside the 14-15 pause.
            pause("2026-06-01T14:10:00Z", Some("2026-06-01T14:20:00Z")),
        ])
        .unwrap();
        assert_eq!(
            pauses.as_slice(),
            &[
                pause("2026-06-01T10:00:00Z", Some("2026-06-01T12:15:00Z")),
                pause("2026-06-01T14:00:00Z", Some("2026-06-01T15:00:00Z")),
            ]
        );
        // An open-ended pause swallows every later one.
        let open = Pauses::new(vec![
            pause("2026-06-01T16:00:00Z", Some("2026-06-01T17:00:00Z")),
            pause("2026-06-01T11:00:00Z", None),
            pause("2026-06-01T10:00:00Z", Some("2026-06-01T11:30:00Z")),
        ])
        .unwrap();
        assert_eq!(open.as_slice(), &[pause("2026-06-01T10:00:00Z", None)]);
        assert!(Pauses::new(vec![]).unwrap().is_empty());
        assert_eq!(Pauses::none(), Pauses::default());
    }

    #[test]
    fn pauses_as_known_at_an_instant() {
        let pauses = Pauses::new(vec![
            pause("2026-06-01T10:00:00Z", Some("2026-06-01T11:00:00Z")),
            pause("2026-06-01T12:00:00Z", Some("2026-06-01T13:00:00Z")),
            pause("2026-06-01T14:00:00Z", None),
        ])
        .unwrap();
        assert_eq!(
            pauses
                .clone()
                .as_known_at(t("2026-06-01T12:30:00Z"))
                .as_slice(),
            &[
                pause("2026-06-01T10:00:00Z", Some("2026-06-01T11:00:00Z")),
                pause("2026-06-01T12:00:00Z", None),
            ]
        );
        assert_eq!(
            pauses
                .clone()
                .as_known_at(t("2026-06-01T13:00:00Z"))
                .as_slice(),
            &pauses.as_slice()[..2]
        );
        assert_eq!(
            pauses.as_known_at(t("2026-06-01T09:00:00Z")),
            Pauses::none()
        );
    }
}
