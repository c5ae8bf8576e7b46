//! The properties: agreement with the minute-stepping reference (also across DST changes),
//! `between` undoes `add`, monotonicity, composition, a 00:00-24:00 week is continuous.
//! Proptest keeps their saved regression cases in tests/proptest-regressions/properties.txt
//! (its default place for a module of a tests/NAME/main.rs binary).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::TimeDelta;
use entitlements::domain::BusinessClock;
use proptest::prelude::*;

use crate::reference::*;
use crate::strategies::*;

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
        let Some(due) = add_in_window(&clock, a, Duration::from_secs(d))? else {
            return Ok(());
        };
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
        let Some(a1) = add_in_window(&clock, a, d1)? else {
            return Ok(());
        };
        if let Some(a2) = add_in_window(&clock, a, d2)? {
            prop_assert!(a1 <= a2, "add({a}, {d1:?}) = {a1} > add({a}, {d2:?}) = {a2}");
        }
        let later = a + TimeDelta::seconds(shift);
        if let Some(b1) = add_in_window(&clock, later, d1)? {
            prop_assert!(a1 <= b1, "add({a}, {d1:?}) = {a1} > add({later}, {d1:?}) = {b1}");
        }
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
            let Some(whole) = add_in_window(&clock, a, d1 + d2)? else {
                continue;
            };
            // Within the window for d1 + d2, so for d1 and then d2 as well.
            let step = ok(clock.add(ok(clock.add(a, d1))?, d2))?;
            prop_assert_eq!(step, whole, "from {}", a);
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
