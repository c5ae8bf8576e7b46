//! The mix of tracked cases the scale benchmarks load (benches/seed.rs into Postgres,
//! benches/cases.rs in process): the same timelines in both, so their figures compare.

use chrono::{DateTime, Utc};
use entitlements::domain::{CaseTimeline, Pause, Priority};

/// The timeline of the `i`th generated case: opened over the last 30 days.
pub(crate) fn timeline(i: usize, now: DateTime<Utc>) -> CaseTimeline {
    // Whole seconds, as instants on the wire are.
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let opened = now - chrono::Duration::minutes((i * 7919 % (30 * 24 * 60)) as i64);
    let priority = [Priority::P1, Priority::P2, Priority::P3, Priority::P4][i % 4];
    // Only what has happened by `now`: a tracked case records no later instant.
    let first_response_at =
        Some(opened + chrono::Duration::minutes(25)).filter(|r| i.is_multiple_of(3) && *r <= now);
    let updates = match first_response_at {
        Some(r) if i.is_multiple_of(2) => vec![r + chrono::Duration::hours(6)],
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|u| *u <= now)
    .collect();
    let pauses = if i % 10 == 1 && opened + chrono::Duration::minutes(5) <= now {
        vec![Pause {
            start: opened + chrono::Duration::minutes(5),
            end: None,
        }]
    } else {
        Vec::new()
    };
    CaseTimeline {
        opened_at: opened,
        priority,
        priority_changes: Vec::new(),
        pauses,
        first_response_at,
        updates,
        resolved_at: None,
    }
}
