//! Proptest strategies (random calendars and starts, biased towards offset changes) and
//! the check of the engine against the minute-stepping reference.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use entitlements::domain::{BusinessClock, DomainError};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use crate::reference::*;

// ---------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------

/// 2019-01-01T00:00Z and 2030-12-01T00:00Z in minutes since the epoch.
const FIRST_MINUTE: i64 = 25_771_680;
const LAST_MINUTE: i64 = 32_038_560;

/// Offset changes of every zone in `ZONES` between 2019 and 2031 (UTC seconds), found by
/// sampling chrono-tz hourly; the zones here change on whole hours.
pub(crate) fn transitions(zone: usize) -> &'static [i64] {
    static ALL: OnceLock<Vec<Vec<i64>>> = OnceLock::new();
    &ALL.get_or_init(|| {
        ZONES
            .iter()
            .map(|name| {
                let tz: Tz = name.parse().expect("known zone");
                let offset = |t: i64| {
                    let utc = DateTime::from_timestamp(t, 0).expect("in range");
                    tz.from_utc_datetime(&utc.naive_utc()).naive_local() - utc.naive_utc()
                };
                let mut out = Vec::new();
                let mut t = (FIRST_MINUTE - 30 * 1440) * 60;
                let mut prev = offset(t);
                while t < (LAST_MINUTE + 60 * 1440) * 60 {
                    t += 3600;
                    let o = offset(t);
                    if o != prev {
                        out.push(t);
                        prev = o;
                    }
                }
                out
            })
            .collect()
    })[zone]
}

/// How a start instant is picked.
#[derive(Debug, Clone)]
pub(crate) enum StartSeed {
    /// Any whole minute in 2019-2030 (minutes since the epoch).
    Uniform(i64),
    /// A whole minute this many minutes from one of the zone's offset changes.
    NearChange(Index, i64),
}

pub(crate) fn start_seed() -> impl Strategy<Value = StartSeed> {
    prop_oneof![
        1 => (FIRST_MINUTE..LAST_MINUTE).prop_map(StartSeed::Uniform),
        // Mostly before the change, so that the following weeks contain it.
        2 => (any::<Index>(), -14 * 1440i64..=1440).prop_map(|(i, m)| StartSeed::NearChange(i, m)),
    ]
}

pub(crate) fn start_for(zone: usize, seed: &StartSeed) -> DateTime<Utc> {
    let m = match seed {
        StartSeed::Uniform(m) => *m,
        StartSeed::NearChange(i, off) => {
            let ts = transitions(zone);
            if ts.is_empty() {
                FIRST_MINUTE + i.index((LAST_MINUTE - FIRST_MINUTE) as usize) as i64
            } else {
                ts[i.index(ts.len())] / 60 + off
            }
        }
    };
    DateTime::from_timestamp(m * 60, 0).expect("in range")
}

/// Sorted distinct points on a 15-minute grid (in grid steps) taken pairwise as
/// non-overlapping intervals.
fn grid_intervals(
    lo: u32,
    hi: u32,
    points: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Intervals> {
    prop::collection::btree_set(lo..=hi, points).prop_map(|points| {
        let p: Vec<u32> = points.into_iter().map(|x| x * 15).collect();
        p.chunks_exact(2).map(|c| (c[0], c[1])).collect()
    })
}

/// One day's intervals: closed, all day, random, or clustered on the hours DST changes
/// touch (01:00-04:00 everywhere here, 23:00-24:00 in Sao Paulo), so that interval
/// boundaries fall inside skipped and repeated hours.
fn day_intervals() -> impl Strategy<Value = Intervals> {
    prop_oneof![
        2 => Just(vec![]),
        1 => Just(vec![(0, 1440)]),
        1 => Just(vec![(60, 240)]),
        1 => Just(vec![(540, 1020)]),
        3 => grid_intervals(0, 96, 0..=6),
        3 => grid_intervals(0, 20, 0..=6),
        3 => grid_intervals(4, 16, 0..=6),
        1 => grid_intervals(84, 96, 0..=4),
        1 => (grid_intervals(0, 20, 0..=4), Just((540, 1020))).prop_map(|(mut v, day)| {
            v.push(day);
            v
        }),
    ]
}

/// Intervals only around the hours that DST changes touch, several per night.
fn night_intervals() -> impl Strategy<Value = Intervals> {
    prop_oneof![
        2 => grid_intervals(4, 16, 0..=6),
        // Two to four intervals in 01:00-04:00 (22:00-24:00), so that one often closes
        // inside the repeated hour and the next opens before it ends.
        3 => grid_intervals(4, 16, 4..=8),
        1 => grid_intervals(88, 96, 4..=6),
        1 => grid_intervals(0, 20, 0..=6),
        1 => grid_intervals(84, 96, 0..=4),
    ]
}

fn week(allow_closed_week: bool) -> BoxedStrategy<[Intervals; 7]> {
    // Any mix of days, or a week whose every night (so whichever weekday a DST change
    // falls on) has intervals with boundaries inside the skipped or repeated hour.
    let any_week = prop_oneof![
        3 => prop::array::uniform7(day_intervals()),
        1 => prop::array::uniform7(night_intervals()),
    ];
    if allow_closed_week {
        prop_oneof![
            9 => any_week,
            1 => Just(<[Intervals; 7]>::default()),
        ]
        .boxed()
    } else {
        any_week
            .prop_filter("some weekday open", |w| w.iter().any(|d| !d.is_empty()))
            .boxed()
    }
}

/// Closed dates and special dates as day offsets from the start's local date.
type ExceptionOffsets = (BTreeSet<i64>, BTreeMap<i64, Intervals>);

fn exception_offsets(from: i64, to: i64) -> impl Strategy<Value = ExceptionOffsets> {
    (
        prop::collection::btree_set(from..to, 0..=5),
        prop::collection::btree_map(
            from..to,
            prop_oneof![
                2 => grid_intervals(0, 96, 0..=6),
                1 => night_intervals(),
                1 => Just(vec![(540, 720)]),
            ],
            0..=3,
        ),
    )
}

/// The calendar definition with its exceptions placed on dates near `start`.
fn assemble(
    zone: usize,
    start: DateTime<Utc>,
    weekly: [Intervals; 7],
    (closed, special): ExceptionOffsets,
) -> (Def, DateTime<Utc>) {
    let tz: Tz = ZONES[zone].parse().expect("known zone");
    let today = tz.from_utc_datetime(&start.naive_utc()).date_naive();
    let date = |off: i64| today + TimeDelta::days(off);
    let special = special
        .into_iter()
        .filter(|(off, _)| !closed.contains(off))
        .map(|(off, v)| (date(off), v))
        .collect();
    let closed = closed.into_iter().map(date).collect();
    let def = Def {
        zone: ZONES[zone],
        weekly,
        closed,
        special,
    };
    (def, start)
}

/// A calendar in any of the zones and a start instant in 2019-2030 (often in the two weeks
/// before an offset change); closed and special dates lie in the following weeks.
pub(crate) fn def_and_start(
    allow_closed_week: bool,
) -> impl Strategy<Value = (Def, DateTime<Utc>)> {
    (
        0..ZONES.len(),
        start_seed(),
        week(allow_closed_week),
        exception_offsets(-2, 24),
    )
        .prop_map(|(zone, seed, weekly, exceptions)| {
            assemble(zone, start_for(zone, &seed), weekly, exceptions)
        })
}

/// Indices in `ZONES` of the zones with offset changes in 2019-2030.
const DST_ZONES: [usize; 5] = [0, 1, 2, 5, 6];

/// A calendar in a zone with DST whose nights are cut on the 15-minute grid, and a start
/// up to two days before one of the zone's offset changes.
pub(crate) fn dst_def_and_start() -> impl Strategy<Value = (Def, DateTime<Utc>)> {
    (
        prop::sample::select(&DST_ZONES[..]),
        any::<Index>(),
        -2 * 1440i64..=0,
        prop::array::uniform7(prop_oneof![3 => night_intervals(), 1 => day_intervals()]),
        exception_offsets(-1, 4),
    )
        .prop_map(|(zone, change, before, weekly, exceptions)| {
            let start = start_for(zone, &StartSeed::NearChange(change, before));
            assemble(zone, start, weekly, exceptions)
        })
}

/// A duration in seconds: often under four hours, up to six weeks.
pub(crate) fn duration_secs() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=4 * 3600, 0u64..=6 * 7 * 86_400]
}

/// Three queries' worth of random choices: a start, a duration, an end.
pub(crate) type Query = (Index, Index, Index);

/// Checks `add`, `between`, `is_open` and `next_open` against the reference over `horizon`
/// minutes from `start`.
pub(crate) fn check_against_reference(
    def: &Def,
    start: DateTime<Utc>,
    horizon: usize,
    queries: &[Query],
) -> Result<(), TestCaseError> {
    let cal = match def.build() {
        Ok(cal) => cal,
        Err(e) => {
            prop_assert!(!def.has_open_time(), "refused {def:?}: {e}");
            prop_assert_eq!(e, DomainError::NoOpenTime);
            return Ok(());
        }
    };
    prop_assert!(def.has_open_time());
    let clock = BusinessClock::Calendar(&cal);
    let r = Reference::new(def, start, horizon);

    // is_open at every minute of the horizon; next_open at every minute that has an open
    // minute after it in the horizon (a running "next open" from the end), and otherwise
    // nothing inside the horizon.
    let mut next = None;
    for i in (0..r.len()).rev() {
        if r.open[i] {
            next = Some(i);
        }
        let t = r.at(i);
        prop_assert_eq!(ok(clock.is_open(t))?, r.open[i], "is_open({})", t);
        match next {
            Some(j) => prop_assert_eq!(ok(clock.next_open(t))?, r.at(j), "next_open({})", t),
            None => {
                if let Ok(n) = clock.next_open(t) {
                    prop_assert!(n >= r.at(r.len()), "next_open({}) = {}", t, n);
                }
            }
        }
    }

    for (qi, qd, qj) in queries {
        // A start in the first week, a duration up to what the rest of the horizon holds.
        let i = qi.index(r.len().min(7 * 1440));
        let d = qd.index(r.open_after(i) as usize + 1) as u64;
        let (a, want) = (r.at(i), r.at(r.add(i, d)));
        prop_assert_eq!(ok(clock.add(a, mins(d)))?, want, "add({}, {} min)", a, d);
        // Business time between two points of the horizon, in either order.
        let j = qj.index(r.len() + 1);
        let b = r.at(j);
        prop_assert_eq!(ok(clock.between(a, b))?.num_seconds(), r.between(i, j));
        prop_assert_eq!(ok(clock.between(b, a))?.num_seconds(), r.between(j, i));
    }
    // From the start itself: every duration in minutes for the first ten hours, then every
    // 97th minute up to what the horizon holds.
    let total = r.open_after(0);
    let mut d = 0;
    while d <= total {
        let want = r.at(r.add(0, d));
        prop_assert_eq!(
            ok(clock.add(start, mins(d)))?,
            want,
            "add({}, {} min)",
            start,
            d
        );
        d += if d < 600 { 1 } else { 97 };
    }
    Ok(())
}
