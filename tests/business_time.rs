//! Tests of the business-time engine ([`BusinessClock`] over a [`Calendar`]) through the
//! crate's public API. Random calendars in seven zones (with and without DST) are checked
//! against a minute-stepping reference that lives only in this file: an instant is open
//! when chrono-tz's local wall time of it lies in an open interval of its local date
//! (closed date: none; special date: its own intervals; else its weekday's), exactly as
//! SPEC.md "Semantics: Calendar" words it. Algebraic properties (`between` undoes `add`,
//! monotonicity, composition, a 00:00-24:00 week equals the continuous clock) are checked
//! on longer spans, and hand-worked cases pin literal instants for office hours, holidays,
//! special dates and both DST transitions in Berlin and New York.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use entitlements::domain::{
    BusinessClock, Calendar, ClosedDate, DateException, DomainError, OpenInterval, SpecialDate,
    TimeOfDay,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------------------
// Calendar definitions kept by the test, and the minute-stepping reference.
// ---------------------------------------------------------------------------------------

const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
    "America/Sao_Paulo",
    "Pacific/Auckland",
];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Open intervals of one day as `[open, close)` in minutes after local midnight.
type Intervals = Vec<(u32, u32)>;

/// The test's own copy of a calendar definition.
#[derive(Debug, Clone)]
struct Def {
    zone: &'static str,
    weekly: [Intervals; 7],
    closed: BTreeSet<NaiveDate>,
    special: BTreeMap<NaiveDate, Intervals>,
}

fn tod(minutes: u32) -> TimeOfDay {
    TimeOfDay::hm(minutes / 60, minutes % 60).expect("minute of day within 00:00-24:00")
}

fn to_intervals(v: &Intervals) -> Vec<OpenInterval> {
    v.iter()
        .map(|&(o, c)| OpenInterval {
            open: tod(o),
            close: tod(c),
        })
        .collect()
}

impl Def {
    fn tz(&self) -> Tz {
        self.zone.parse().expect("known zone")
    }

    fn has_open_time(&self) -> bool {
        self.weekly.iter().any(|d| !d.is_empty()) || self.special.values().any(|d| !d.is_empty())
    }

    fn build(&self) -> Result<Calendar, DomainError> {
        let weekly = WEEKDAYS
            .iter()
            .zip(&self.weekly)
            .map(|(wd, v)| (*wd, to_intervals(v)))
            .collect();
        let mut exceptions: Vec<DateException> = self
            .closed
            .iter()
            .map(|&date| {
                DateException::Closed(ClosedDate {
                    date,
                    reason: "holiday".into(),
                })
            })
            .collect();
        exceptions.extend(self.special.iter().map(|(&date, v)| {
            DateException::Special(SpecialDate {
                date,
                intervals: to_intervals(v),
                reason: "special".into(),
            })
        }));
        Calendar::new(self.zone, weekly, exceptions)
    }

    /// The wall-time intervals that apply on a local date.
    fn intervals_on(&self, date: NaiveDate) -> &[(u32, u32)] {
        if self.closed.contains(&date) {
            &[]
        } else if let Some(s) = self.special.get(&date) {
            s
        } else {
            &self.weekly[date.weekday().num_days_from_monday() as usize]
        }
    }

    /// The reference's definition of "open" for an instant on a whole minute.
    fn open_at(&self, tz: Tz, t: DateTime<Utc>) -> bool {
        let local = tz.from_utc_datetime(&t.naive_utc());
        let m = local.hour() * 60 + local.minute();
        self.intervals_on(local.date_naive())
            .iter()
            .any(|&(o, c)| o <= m && m < c)
    }
}

/// Which of the minutes `[start + i min, start + (i + 1) min)`, `i < len`, are open, with
/// a running count so that every query is O(1) or a binary search.
#[derive(Debug)]
struct Reference {
    start: DateTime<Utc>,
    open: Vec<bool>,
    /// `prefix[i]` = open minutes among the first `i`.
    prefix: Vec<u64>,
}

impl Reference {
    fn new(def: &Def, start: DateTime<Utc>, len: usize) -> Reference {
        let tz = def.tz();
        let open: Vec<bool> = (0..len)
            .map(|i| def.open_at(tz, minute(start, i)))
            .collect();
        let mut prefix = Vec::with_capacity(len + 1);
        prefix.push(0);
        for &o in &open {
            prefix.push(prefix.last().copied().unwrap_or(0) + u64::from(o));
        }
        Reference {
            start,
            open,
            prefix,
        }
    }

    fn at(&self, i: usize) -> DateTime<Utc> {
        minute(self.start, i)
    }

    fn len(&self) -> usize {
        self.open.len()
    }

    /// Open minutes from minute index `i` to the end of the horizon.
    fn open_after(&self, i: usize) -> u64 {
        self.prefix[self.len()] - self.prefix[i]
    }

    /// Business time in seconds between minute indices `i` and `j` (negative if `j < i`).
    fn between(&self, i: usize, j: usize) -> i64 {
        (self.prefix[j] as i64 - self.prefix[i] as i64) * 60
    }

    /// The earliest index `j >= i` with `d` open minutes in `[i, j)`; `d` must be at most
    /// `open_after(i)`.
    fn add(&self, i: usize, d: u64) -> usize {
        if d == 0 {
            return i;
        }
        let target = self.prefix[i] + d;
        self.prefix.partition_point(|&p| p < target)
    }
}

fn minute(start: DateTime<Utc>, i: usize) -> DateTime<Utc> {
    start + TimeDelta::minutes(i as i64)
}

fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339 literal")
}

/// Turns an engine error into a proptest failure that names it.
fn ok<T>(r: Result<T, DomainError>) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("engine error: {e} ({e:?})")))
}

// ---------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------

/// 2019-01-01T00:00Z and 2030-12-01T00:00Z in minutes since the epoch.
const FIRST_MINUTE: i64 = 25_771_680;
const LAST_MINUTE: i64 = 32_038_560;

/// Offset changes of every zone in `ZONES` between 2019 and 2031 (UTC seconds), found by
/// sampling chrono-tz hourly; the zones here change on whole hours.
fn transitions(zone: usize) -> &'static [i64] {
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
enum StartSeed {
    /// Any whole minute in 2019-2030 (minutes since the epoch).
    Uniform(i64),
    /// A whole minute this many minutes from one of the zone's offset changes.
    NearChange(Index, i64),
}

fn start_seed() -> impl Strategy<Value = StartSeed> {
    prop_oneof![
        1 => (FIRST_MINUTE..LAST_MINUTE).prop_map(StartSeed::Uniform),
        // Mostly before the change, so that the following weeks contain it.
        2 => (any::<Index>(), -14 * 1440i64..=1440).prop_map(|(i, m)| StartSeed::NearChange(i, m)),
    ]
}

fn start_for(zone: usize, seed: &StartSeed) -> DateTime<Utc> {
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
fn def_and_start(allow_closed_week: bool) -> impl Strategy<Value = (Def, DateTime<Utc>)> {
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
fn dst_def_and_start() -> impl Strategy<Value = (Def, DateTime<Utc>)> {
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
fn duration_secs() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=4 * 3600, 0u64..=6 * 7 * 86_400]
}

/// Three queries' worth of random choices: a start, a duration, an end.
type Query = (Index, Index, Index);

/// Checks `add`, `between`, `is_open` and `next_open` against the reference over `horizon`
/// minutes from `start`.
fn check_against_reference(
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

// ---------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------

/// A run of `cases` cases whose shrinking stops after ten seconds: each case of the
/// reference properties costs up to a tenth of a second in a debug build.
fn reference_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_time: 10_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(reference_config(64))]

    /// The engine agrees with the minute-stepping reference over three weeks and a day
    /// from the start.
    #[test]
    fn agrees_with_minute_reference(
        (def, start) in def_and_start(true),
        queries in prop::collection::vec(any::<Query>(), 16),
    ) {
        check_against_reference(&def, start, 22 * 1440, &queries)?;
    }
}

proptest! {
    #![proptest_config(reference_config(256))]

    /// The engine agrees with the reference over the three days around an offset change,
    /// with open intervals that begin or end inside the skipped or repeated hour.
    #[test]
    fn agrees_with_minute_reference_across_dst_changes(
        (def, start) in dst_def_and_start(),
        queries in prop::collection::vec(any::<Query>(), 16),
    ) {
        check_against_reference(&def, start, 3 * 1440, &queries)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `between(a, add(a, d)) == d`, `add(a, d) >= a`, and `between` is additive,
    /// antisymmetric and at most the elapsed time; to the second.
    #[test]
    fn between_undoes_add(
        (def, start) in def_and_start(false),
        second in 0i64..60,
        d in duration_secs(),
        later in 0i64..=4 * 7 * 86_400,
    ) {
        let cal = ok(def.build())?;
        let clock = BusinessClock::Calendar(&cal);
        let a = start + TimeDelta::seconds(second);
        let due = ok(clock.add(a, Duration::from_secs(d)))?;
        let d = TimeDelta::seconds(d as i64);
        prop_assert!(due >= a + d, "add({a}, {d}) = {due} is sooner than the elapsed time");
        prop_assert_eq!(ok(clock.between(a, due))?, d);
        let b = a + TimeDelta::seconds(later);
        let ab = ok(clock.between(a, b))?;
        let bd = ok(clock.between(b, due))?;
        prop_assert_eq!(ab + bd, d);
        prop_assert_eq!(ok(clock.between(b, a))?, -ab);
        prop_assert!(ab >= TimeDelta::zero() && ab <= TimeDelta::seconds(later));
    }

    /// `add` is monotonic in the start and in the duration; to the second.
    #[test]
    fn add_is_monotonic(
        (def, start) in def_and_start(false),
        second in 0i64..60,
        d1 in duration_secs(),
        extra in duration_secs(),
        shift in prop_oneof![0i64..=3 * 3600, 0i64..=3 * 7 * 86_400],
    ) {
        let cal = ok(def.build())?;
        let clock = BusinessClock::Calendar(&cal);
        let a = start + TimeDelta::seconds(second);
        let (d1, d2) = (Duration::from_secs(d1), Duration::from_secs(d1 + extra));
        let a1 = ok(clock.add(a, d1))?;
        let a2 = ok(clock.add(a, d2))?;
        prop_assert!(a1 <= a2, "add({a}, {d1:?}) = {a1} > add({a}, {d2:?}) = {a2}");
        let later = a + TimeDelta::seconds(shift);
        let b1 = ok(clock.add(later, d1))?;
        prop_assert!(a1 <= b1, "add({a}, {d1:?}) = {a1} > add({later}, {d1:?}) = {b1}");
    }

    /// `add(add(a, d1), d2) == add(a, d1 + d2)`, from an open start (the brief's case) and
    /// from any start (which holds as well: a start in closed time and a closing instant
    /// both count from the next opening); to the second.
    #[test]
    fn add_composes(
        (def, start) in def_and_start(false),
        second in 0i64..60,
        d1 in duration_secs(),
        d2 in duration_secs(),
    ) {
        let cal = ok(def.build())?;
        let clock = BusinessClock::Calendar(&cal);
        let any = start + TimeDelta::seconds(second);
        let open = ok(clock.next_open(any))?;
        prop_assert!(open >= any && ok(clock.is_open(open))?);
        let (d1, d2) = (Duration::from_secs(d1), Duration::from_secs(d2));
        for a in [open, any] {
            let step = ok(clock.add(ok(clock.add(a, d1))?, d2))?;
            prop_assert_eq!(step, ok(clock.add(a, d1 + d2))?, "from {}", a);
        }
    }

    /// A calendar open 00:00-24:00 every day is the continuous clock, on DST days too,
    /// to the second.
    #[test]
    fn full_week_is_continuous(
        zone in 0..ZONES.len(),
        seed in start_seed(),
        second in 0i64..60,
        d in duration_secs(),
        later in 0i64..=6 * 7 * 86_400,
    ) {
        let def = Def {
            zone: ZONES[zone],
            weekly: std::array::from_fn(|_| vec![(0, 1440)]),
            closed: BTreeSet::new(),
            special: BTreeMap::new(),
        };
        let cal = ok(def.build())?;
        let clock = BusinessClock::Calendar(&cal);
        let cont = BusinessClock::Continuous;
        let a = start_for(zone, &seed) + TimeDelta::seconds(second);
        let b = a + TimeDelta::seconds(later);
        let d = Duration::from_secs(d);
        prop_assert_eq!(ok(clock.add(a, d))?, ok(cont.add(a, d))?);
        prop_assert_eq!(ok(clock.between(a, b))?, ok(cont.between(a, b))?);
        prop_assert_eq!(ok(clock.between(b, a))?, ok(cont.between(b, a))?);
        prop_assert!(ok(clock.is_open(b))?);
        prop_assert_eq!(ok(clock.next_open(b))?, b);
    }
}

// ---------------------------------------------------------------------------------------
// Hand-worked cases. Berlin is UTC+1 (CET) in winter and UTC+2 (CEST) in summer; New York
// is UTC-5 (EST) in winter and UTC-4 (EDT) in summer. 2026-01-01 is a Thursday.
// ---------------------------------------------------------------------------------------

fn iv(open: &str, close: &str) -> OpenInterval {
    OpenInterval {
        open: open.parse().expect("time"),
        close: close.parse().expect("time"),
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Berlin, Monday-Friday 09:00-17:00, with the given exceptions.
fn berlin_office(exceptions: Vec<DateException>) -> Calendar {
    let days = WEEKDAYS[..5]
        .iter()
        .map(|&d| (d, vec![iv("09:00", "17:00")]))
        .collect();
    Calendar::new("Europe/Berlin", days, exceptions).expect("valid calendar")
}

/// A calendar open only on `day` with `intervals`.
fn only(zone: &str, day: Weekday, intervals: Vec<OpenInterval>) -> Calendar {
    Calendar::new(zone, vec![(day, intervals)], vec![]).expect("valid calendar")
}

#[test]
fn start_bias_finds_the_offset_changes() {
    // Berlin changes twice a year at 01:00Z; Sao Paulo's last change was 2019-02-17 00:00
    // BRST -> 2019-02-16 23:00 BRT (02:00Z); Kolkata and UTC never change.
    let berlin = transitions(0);
    assert_eq!(berlin.len(), 24);
    assert!(berlin.contains(&at("2026-03-29T01:00:00Z").timestamp()));
    assert!(berlin.contains(&at("2026-10-25T01:00:00Z").timestamp()));
    assert_eq!(transitions(5), [at("2019-02-17T02:00:00Z").timestamp()]);
    assert!(transitions(3).is_empty() && transitions(4).is_empty());
}

#[test]
fn friday_afternoon_rolls_over_the_weekend() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Fri 2026-01-09 16:30 CET = 15:30Z. 30 min to 17:00, then 7h30 from Mon 09:00:
    // Mon 2026-01-12 16:30 CET = 15:30Z.
    let fri = at("2026-01-09T15:30:00Z");
    let due = clock.add(fri, hours(8)).unwrap();
    assert_eq!(due, at("2026-01-12T15:30:00Z"));
    assert_eq!(clock.between(fri, due).unwrap(), TimeDelta::hours(8));
}

#[test]
fn monday_holiday_moves_the_deadline_to_tuesday() {
    let cal = berlin_office(vec![DateException::Closed(ClosedDate {
        date: date("2026-01-12"),
        reason: "company holiday".into(),
    })]);
    let clock = BusinessClock::Calendar(&cal);
    // As above, but Monday is closed: Tue 2026-01-13 16:30 CET = 15:30Z.
    let due = clock.add(at("2026-01-09T15:30:00Z"), hours(8)).unwrap();
    assert_eq!(due, at("2026-01-13T15:30:00Z"));
    assert!(!clock.is_open(at("2026-01-12T10:00:00Z")).unwrap());
}

#[test]
fn target_used_up_at_closing_gives_the_closing_instant() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Mon 2026-01-12 09:00 CET = 08:00Z; + 8h = Mon 17:00 CET = 16:00Z, not Tue 08:00Z.
    let due = clock.add(at("2026-01-12T08:00:00Z"), hours(8)).unwrap();
    assert_eq!(due, at("2026-01-12T16:00:00Z"));
    // One more second moves it to Tue 09:00:01 CET.
    let due = clock
        .add(
            at("2026-01-12T08:00:00Z"),
            hours(8) + Duration::from_secs(1),
        )
        .unwrap();
    assert_eq!(due, at("2026-01-13T08:00:01Z"));
    // And from the closing instant itself, counting resumes at the next opening.
    let due = clock.add(at("2026-01-12T16:00:00Z"), hours(1)).unwrap();
    assert_eq!(due, at("2026-01-13T09:00:00Z"));
}

#[test]
fn start_on_saturday_counts_from_monday_opening() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Sat 2026-01-10 11:00 CET = 10:00Z; counting starts Mon 2026-01-12 09:00 CET = 08:00Z.
    let sat = at("2026-01-10T10:00:00Z");
    assert!(!clock.is_open(sat).unwrap());
    assert_eq!(clock.next_open(sat).unwrap(), at("2026-01-12T08:00:00Z"));
    // + 1h = Mon 10:00 CET = 09:00Z; + 8h = Mon 17:00 CET = 16:00Z.
    assert_eq!(
        clock.add(sat, hours(1)).unwrap(),
        at("2026-01-12T09:00:00Z")
    );
    assert_eq!(
        clock.add(sat, hours(8)).unwrap(),
        at("2026-01-12T16:00:00Z")
    );
    assert_eq!(
        clock.between(sat, at("2026-01-12T09:00:00Z")).unwrap(),
        TimeDelta::hours(1)
    );
}

#[test]
fn berlin_spring_forward_night_interval_lasts_two_hours() {
    // Sun 2026-03-29: 02:00 CET (01:00Z) jumps to 03:00 CEST. Open 01:00-04:00 local:
    // 01:00 CET = 00:00Z .. 02:00 CET = 01:00Z, then 03:00 CEST = 01:00Z .. 04:00 CEST =
    // 02:00Z: [00:00Z, 02:00Z), 2h.
    let cal = only("Europe/Berlin", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The whole local day: 00:00 CET = 03-28T23:00Z to 24:00 CEST = 03-29T22:00Z.
    let (day_start, day_end) = (at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(2)
    );
    assert_eq!(
        clock.next_open(day_start).unwrap(),
        at("2026-03-29T00:00:00Z")
    );
    // 90 min from the start of the day: 01:00Z + 30 min = 01:30Z (03:30 CEST).
    assert_eq!(
        clock.add(day_start, mins(90)).unwrap(),
        at("2026-03-29T01:30:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(2)).unwrap(),
        at("2026-03-29T02:00:00Z")
    );
}

#[test]
fn berlin_fall_back_night_interval_lasts_four_hours() {
    // Sun 2026-10-25: 03:00 CEST (01:00Z) falls back to 02:00 CET. Open 01:00-04:00 local:
    // 01:00 CEST = 10-24T23:00Z .. 04:00 CET = 03:00Z, with 02:00-03:00 twice: 4h.
    let cal = only("Europe/Berlin", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The local day: 00:00 CEST = 10-24T22:00Z to 24:00 CET = 10-25T23:00Z.
    let (day_start, day_end) = (at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(4)
    );
    assert_eq!(
        clock.next_open(day_start).unwrap(),
        at("2026-10-24T23:00:00Z")
    );
    // 2h30 from 23:00Z is 01:30Z (02:30 CET, the second 02:30 of the night).
    assert_eq!(
        clock.add(day_start, mins(150)).unwrap(),
        at("2026-10-25T01:30:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(4)).unwrap(),
        at("2026-10-25T03:00:00Z")
    );
    assert!(clock.is_open(at("2026-10-25T00:30:00Z")).unwrap()); // first 02:30
    assert!(clock.is_open(at("2026-10-25T01:30:00Z")).unwrap()); // second 02:30
}

#[test]
fn new_york_spring_forward_night_interval_lasts_two_hours() {
    // Sun 2026-03-08: 02:00 EST (07:00Z) jumps to 03:00 EDT. Open 01:00-04:00 local:
    // 01:00 EST = 06:00Z .. 07:00Z, then 03:00 EDT = 07:00Z .. 04:00 EDT = 08:00Z: 2h.
    let cal = only("America/New_York", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The local day: 00:00 EST = 05:00Z to 24:00 EDT = 03-09T04:00Z.
    let (day_start, day_end) = (at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(2)
    );
    assert_eq!(
        clock.add(day_start, mins(1)).unwrap(),
        at("2026-03-08T06:01:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(2)).unwrap(),
        at("2026-03-08T08:00:00Z")
    );
}

#[test]
fn new_york_fall_back_night_interval_lasts_four_hours() {
    // Sun 2026-11-01: 02:00 EDT (06:00Z) falls back to 01:00 EST. Open 01:00-04:00 local:
    // 01:00 EDT = 05:00Z .. 04:00 EST = 09:00Z, with 01:00-02:00 twice: 4h.
    let cal = only("America/New_York", Weekday::Sun, vec![iv("01:00", "04:00")]);
    let clock = BusinessClock::Calendar(&cal);
    // The local day: 00:00 EDT = 04:00Z to 24:00 EST = 11-02T05:00Z.
    let (day_start, day_end) = (at("2026-11-01T04:00:00Z"), at("2026-11-02T05:00:00Z"));
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::hours(4)
    );
    assert_eq!(
        clock.add(day_start, mins(90)).unwrap(),
        at("2026-11-01T06:30:00Z")
    );
    assert_eq!(
        clock.add(day_start, hours(4)).unwrap(),
        at("2026-11-01T09:00:00Z")
    );
}

#[test]
fn fall_back_with_a_boundary_inside_the_repeated_hour() {
    // Sun 2026-10-25 in Berlin, open 01:00-02:15 and 02:30-04:00 local. 02:00-03:00 happens
    // twice (CEST, then CET from 01:00Z), so the open UTC ranges in time order are
    //   01:00-02:15 CEST = 10-24T23:00Z..00:15Z   75 min
    //   02:30-03:00 CEST = 00:30Z..01:00Z         30 min
    //   02:00-02:15 CET  = 01:00Z..01:15Z         15 min
    //   02:30-04:00 CET  = 01:30Z..03:00Z         90 min, 210 min in all.
    let cal = only(
        "Europe/Berlin",
        Weekday::Sun,
        vec![iv("01:00", "02:15"), iv("02:30", "04:00")],
    );
    let clock = BusinessClock::Calendar(&cal);
    let day_start = at("2026-10-24T22:00:00Z"); // 00:00 CEST
    let day_end = at("2026-10-25T23:00:00Z"); // 24:00 CET
    assert_eq!(
        clock.between(day_start, day_end).unwrap(),
        TimeDelta::minutes(210)
    );
    // 02:45 CEST (the first one) is open.
    assert!(clock.is_open(at("2026-10-25T00:45:00Z")).unwrap());
    // Up to 00:50Z: 75 min, then 00:30Z..00:50Z = 20 min.
    let to = at("2026-10-25T00:50:00Z");
    assert_eq!(
        clock.between(day_start, to).unwrap(),
        TimeDelta::minutes(95)
    );
    // 90 min: 75 by 00:15Z, 15 more from 00:30Z = 00:45Z. 100 min = 00:55Z. 120 min: 105 by
    // 01:00Z, 15 more = 01:15Z (02:15 CET, a closing time).
    assert_eq!(
        clock.add(day_start, mins(90)).unwrap(),
        at("2026-10-25T00:45:00Z")
    );
    assert_eq!(
        clock.add(day_start, mins(100)).unwrap(),
        at("2026-10-25T00:55:00Z")
    );
    assert_eq!(
        clock.add(day_start, mins(120)).unwrap(),
        at("2026-10-25T01:15:00Z")
    );
    // 02:20 CEST (00:20Z) is closed until 02:30 CEST (00:30Z); 02:15 CET (01:15Z) is closed
    // until 02:30 CET (01:30Z).
    assert_eq!(
        clock.next_open(at("2026-10-25T00:20:00Z")).unwrap(),
        at("2026-10-25T00:30:00Z")
    );
    assert_eq!(
        clock.next_open(at("2026-10-25T01:15:00Z")).unwrap(),
        at("2026-10-25T01:30:00Z")
    );
}

#[test]
fn office_hours_last_eight_hours_on_dst_days() {
    let cases = [
        // (zone, day start, day end, 09:00 local, 17:00 local), all UTC.
        // Berlin spring: 09:00 CEST = 07:00Z, 17:00 CEST = 15:00Z.
        (
            "Europe/Berlin",
            "2026-03-28T23:00:00Z",
            "2026-03-29T22:00:00Z",
            "2026-03-29T07:00:00Z",
            "2026-03-29T15:00:00Z",
        ),
        // Berlin autumn: 09:00 CET = 08:00Z, 17:00 CET = 16:00Z.
        (
            "Europe/Berlin",
            "2026-10-24T22:00:00Z",
            "2026-10-25T23:00:00Z",
            "2026-10-25T08:00:00Z",
            "2026-10-25T16:00:00Z",
        ),
        // New York spring: 09:00 EDT = 13:00Z, 17:00 EDT = 21:00Z.
        (
            "America/New_York",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z",
            "2026-03-08T13:00:00Z",
            "2026-03-08T21:00:00Z",
        ),
        // New York autumn: 09:00 EST = 14:00Z, 17:00 EST = 22:00Z.
        (
            "America/New_York",
            "2026-11-01T04:00:00Z",
            "2026-11-02T05:00:00Z",
            "2026-11-01T14:00:00Z",
            "2026-11-01T22:00:00Z",
        ),
    ];
    for (zone, day_start, day_end, open, close) in cases {
        let cal = only(zone, Weekday::Sun, vec![iv("09:00", "17:00")]);
        let clock = BusinessClock::Calendar(&cal);
        let (day_start, day_end) = (at(day_start), at(day_end));
        assert_eq!(
            clock.between(day_start, day_end).unwrap(),
            TimeDelta::hours(8),
            "{zone}"
        );
        assert_eq!(clock.next_open(day_start).unwrap(), at(open), "{zone}");
        assert_eq!(clock.add(day_start, hours(8)).unwrap(), at(close), "{zone}");
    }
}

#[test]
fn special_date_with_morning_hours() {
    let cal = berlin_office(vec![DateException::Special(SpecialDate {
        date: date("2026-01-14"),
        intervals: vec![iv("09:00", "12:00")],
        reason: "half day".into(),
    })]);
    let clock = BusinessClock::Calendar(&cal);
    // Wed 2026-01-14 09:00 CET = 08:00Z: 3h that morning (to 12:00 CET = 11:00Z), then 5h
    // from Thu 09:00 CET: Thu 14:00 CET = 2026-01-15T13:00Z.
    assert_eq!(
        clock.add(at("2026-01-14T08:00:00Z"), hours(8)).unwrap(),
        at("2026-01-15T13:00:00Z")
    );
    // 3h exactly ends at the special closing time, 12:00 CET = 11:00Z.
    assert_eq!(
        clock.add(at("2026-01-14T08:00:00Z"), hours(3)).unwrap(),
        at("2026-01-14T11:00:00Z")
    );
    // The whole local day (00:00 CET = 01-13T23:00Z .. 01-14T23:00Z) holds 3h.
    assert_eq!(
        clock
            .between(at("2026-01-13T23:00:00Z"), at("2026-01-14T23:00:00Z"))
            .unwrap(),
        TimeDelta::hours(3)
    );
    // 13:00 CET on the special date is closed; the next opening is Thu 09:00 CET.
    assert!(!clock.is_open(at("2026-01-14T12:00:00Z")).unwrap());
    assert_eq!(
        clock.next_open(at("2026-01-14T12:00:00Z")).unwrap(),
        at("2026-01-15T08:00:00Z")
    );
}

#[test]
fn ten_thousand_hours_equal_ten_times_one_thousand() {
    let cal = berlin_office(vec![]);
    let clock = BusinessClock::Calendar(&cal);
    // Mon 2026-01-05 09:00 CET = 08:00Z. 1,000h = 125 days of 8h = 25 weeks: Friday of the
    // 25th week, 2026-01-05 + 24*7+4 days = Fri 2026-06-26, 17:00 CEST = 15:00Z.
    let start = at("2026-01-05T08:00:00Z");
    assert_eq!(
        clock.add(start, hours(1000)).unwrap(),
        at("2026-06-26T15:00:00Z")
    );
    // 10,000h = 250 weeks: 2026-01-05 + 249*7+4 days = Fri 2030-10-18, 17:00 CEST = 15:00Z.
    let once = clock.add(start, hours(10_000)).unwrap();
    assert_eq!(once, at("2030-10-18T15:00:00Z"));
    // The same in ten steps, from the exact start and from an awkward one.
    for start in [start, at("2026-02-18T12:37:00Z")] {
        let mut t = start;
        for _ in 0..10 {
            t = clock.add(t, hours(1000)).unwrap();
        }
        assert_eq!(clock.add(start, hours(10_000)).unwrap(), t, "from {start}");
        assert_eq!(clock.between(start, t).unwrap(), TimeDelta::hours(10_000));
    }
}

#[test]
fn calendar_without_open_time_is_refused() {
    assert_eq!(
        Calendar::new("Europe/Berlin", vec![], vec![]).unwrap_err(),
        DomainError::NoOpenTime
    );
    // Weekdays listed with no intervals, a holiday, and a special date with no intervals.
    let e = Calendar::new(
        "Europe/Berlin",
        WEEKDAYS.iter().map(|&d| (d, vec![])).collect(),
        vec![
            DateException::Closed(ClosedDate {
                date: date("2026-12-25"),
                reason: "Christmas".into(),
            }),
            DateException::Special(SpecialDate {
                date: date("2026-12-24"),
                intervals: vec![],
                reason: "closed too".into(),
            }),
        ],
    )
    .unwrap_err();
    assert_eq!(e, DomainError::NoOpenTime);
}

#[test]
fn calendar_open_only_on_special_dates_runs_out() {
    let cal = Calendar::new(
        "Europe/Berlin",
        vec![],
        vec![DateException::Special(SpecialDate {
            date: date("2026-12-24"),
            intervals: vec![iv("09:00", "12:00")],
            reason: "Christmas Eve only".into(),
        })],
    )
    .expect("a special date is open time");
    let clock = BusinessClock::Calendar(&cal);
    // From 2026-12-01: the only open time is 2026-12-24 09:00-12:00 CET = 08:00Z-11:00Z.
    let from = at("2026-12-01T00:00:00Z");
    assert_eq!(clock.next_open(from).unwrap(), at("2026-12-24T08:00:00Z"));
    assert_eq!(
        clock.add(from, hours(1)).unwrap(),
        at("2026-12-24T09:00:00Z")
    );
    assert_eq!(
        clock.add(from, hours(3)).unwrap(),
        at("2026-12-24T11:00:00Z")
    );
    assert!(matches!(
        clock.add(from, hours(3) + Duration::from_secs(1)),
        Err(DomainError::NoOpenTimeAfter(_))
    ));
    let after = at("2026-12-25T00:00:00Z");
    assert!(matches!(
        clock.add(after, mins(1)),
        Err(DomainError::NoOpenTimeAfter(_))
    ));
    assert!(matches!(
        clock.next_open(after),
        Err(DomainError::NoOpenTimeAfter(_))
    ));
    // Zero is always reachable, and nothing after the last special date counts.
    assert_eq!(clock.add(after, Duration::ZERO).unwrap(), after);
    assert_eq!(
        clock.between(from, at("2027-06-01T00:00:00Z")).unwrap(),
        TimeDelta::hours(3)
    );
}

#[test]
fn a_skipped_local_date_has_no_business_time() {
    // Samoa moved across the date line: 2011-12-29 23:59:59 -10:00 was followed by
    // 2011-12-31 00:00:00 +14:00, so 2011-12-30 never happened in Pacific/Apia. Open around
    // the clock every day, the business time between two instants is the real time.
    let days = WEEKDAYS
        .iter()
        .map(|&d| (d, vec![iv("00:00", "24:00")]))
        .collect();
    let cal = Calendar::new("Pacific/Apia", days, vec![]).expect("valid calendar");
    let clock = BusinessClock::Calendar(&cal);
    let (a, b) = (at("2011-12-29T00:00:00Z"), at("2012-01-01T00:00:00Z"));
    assert_eq!(clock.between(a, b).unwrap(), b - a);
    assert_eq!(clock.add(a, hours(72)).unwrap(), b);
    // Across the jump itself: 23:00 on the 29th (-10:00) plus two hours is 01:00 on the
    // 31st (+14:00).
    let before = at("2011-12-30T09:00:00Z");
    assert_eq!(
        clock.add(before, hours(2)).unwrap(),
        at("2011-12-30T11:00:00Z")
    );
}

#[test]
fn daylight_saving_holds_to_the_end_of_the_validity_window() {
    // New York, open 01:00-04:00 every day. 2099-03-08 springs forward at 02:00 (the
    // interval lasts two hours) and 2099-11-01 falls back at 02:00 (01:00-02:00 happens
    // twice: four hours). The window ends with 2099-12-31: the tz data's daylight-saving
    // rules end there, so later instants are refused rather than computed wrongly.
    let days = WEEKDAYS
        .iter()
        .map(|&d| (d, vec![iv("01:00", "04:00")]))
        .collect();
    let cal = Calendar::new("America/New_York", days, vec![]).expect("valid calendar");
    let clock = BusinessClock::Calendar(&cal);
    let day_of = |from: &str, to: &str| clock.between(at(from), at(to)).unwrap();
    // Local midnight to local midnight, in UTC.
    assert_eq!(
        day_of("2099-03-08T05:00:00Z", "2099-03-09T04:00:00Z"),
        TimeDelta::hours(2)
    );
    assert_eq!(
        day_of("2099-11-01T04:00:00Z", "2099-11-02T05:00:00Z"),
        TimeDelta::hours(4)
    );
    assert_eq!(
        day_of("2099-07-01T04:00:00Z", "2099-07-02T04:00:00Z"),
        TimeDelta::hours(3)
    );
    // 2099-12-31 is the last local date; 2100-01-01 00:00 in New York is refused.
    assert!(matches!(
        clock.between(at("2099-12-01T00:00:00Z"), at("2100-01-01T05:00:00Z")),
        Err(DomainError::OutsideValidity(_))
    ));
    assert!(
        clock
            .between(at("2099-12-01T00:00:00Z"), at("2100-01-01T04:59:59Z"))
            .is_ok()
    );
    // A target that would end past the window is refused the same way, not as a
    // calendar without open time.
    assert!(matches!(
        clock.add(at("2099-12-31T05:00:00Z"), hours(4)),
        Err(DomainError::OutsideValidity(_))
    ));
    assert_eq!(
        clock.add(at("2099-12-31T05:00:00Z"), hours(3)).unwrap(),
        at("2099-12-31T09:00:00Z")
    );
}
