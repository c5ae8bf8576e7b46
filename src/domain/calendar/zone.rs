//! Time zones as a sorted list of UTC offset changes, so that the business clock never
//! calls into the tz database on the hot path.
//!
//! A [`ZoneTimeline`] is built once per IANA zone (and cached process-wide) by sampling
//! chrono-tz's offsets every 12 hours across the calendar validity window and pinning each
//! change to the second with a binary search. Two changes less than 12 hours apart would be
//! missed; no zone in the tz database has such a pair.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::domain::error::DomainError;
use crate::domain::text::Quoted;

/// Seconds in a civil day.
pub(crate) const DAY: i64 = 86_400;
/// First local day (days since 1970-01-01) inside the validity window: 1970-01-01.
pub(crate) const FIRST_DAY: i64 = 0;
/// First local day past the validity window: 2100-01-01. chrono-tz's data ends its
/// daylight-saving rules after 2099 (New York keeps -05:00 in July 2100), so a later
/// window would compute wrong local times rather than refuse them.
pub(crate) const END_DAY: i64 = 47_482;

const SAMPLE_STEP: i64 = DAY / 2;

/// A set of day numbers within the validity window (two days of margin either side), as
/// bits: a membership test on the hot path is one shift and mask.
#[derive(Debug, Clone, Default)]
pub(crate) struct DayBits {
    /// One bit per day from `FIRST_DAY - 2`.
    words: Vec<u64>,
}

impl DayBits {
    fn index(day: i64) -> Option<usize> {
        (FIRST_DAY - 2..END_DAY + 2)
            .contains(&day)
            .then(|| (day - (FIRST_DAY - 2)) as usize)
    }

    /// True if `day` is in the set.
    pub(crate) fn contains(&self, day: i64) -> bool {
        Self::index(day)
            .and_then(|i| self.words.get(i / 64).map(|w| w & (1 << (i % 64)) != 0))
            .unwrap_or(false)
    }
}

impl FromIterator<i64> for DayBits {
    fn from_iter<I: IntoIterator<Item = i64>>(iter: I) -> Self {
        let mut words = vec![0u64; ((END_DAY - FIRST_DAY + 4) as usize).div_ceil(64)];
        for day in iter {
            if let Some(i) = Self::index(day) {
                words[i / 64] |= 1 << (i % 64);
            }
        }
        DayBits { words }
    }
}

/// One offset change: from `at` (UTC seconds) on, local time is UTC plus `offset` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetChange {
    /// The first UTC second with the new offset.
    pub(crate) at: i64,
    /// The offset in effect from `at`, in seconds east of UTC.
    pub(crate) offset: i64,
}

/// The offsets of one zone over the validity window.
#[derive(Debug)]
pub(crate) struct ZoneTimeline {
    /// The zone this describes.
    tz: Tz,
    /// Offset changes in time order; the first entry is the offset in force at the start of
    /// the window (its `at` is `i64::MIN`).
    changes: Vec<OffsetChange>,
    /// Local days touched by an offset change (a superset): the only days whose open
    /// ranges may come out of time order (a repeated hour).
    change_days: DayBits,
}

fn offset_at(tz: Tz, t: i64) -> i64 {
    let utc = DateTime::from_timestamp(t, 0).expect("window instants are in chrono's range");
    i64::from(
        tz.offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

impl ZoneTimeline {
    /// The timeline of an IANA zone name, built on first use and shared afterwards.
    pub(crate) fn for_name(name: &str) -> Result<Arc<ZoneTimeline>, DomainError> {
        let tz: Tz = name
            .parse()
            .map_err(|_| DomainError::UnknownTimeZone(Quoted::new(name)))?;
        Ok(Self::for_tz(tz))
    }

    /// The timeline of a zone, built on first use and shared afterwards.
    pub(crate) fn for_tz(tz: Tz) -> Arc<ZoneTimeline> {
        static CACHE: OnceLock<Mutex<HashMap<Tz, Arc<ZoneTimeline>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(z) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&tz) {
            return z.clone();
        }
        let built = Arc::new(Self::build(tz));
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tz)
            .or_insert(built)
            .clone()
    }

    fn build(tz: Tz) -> ZoneTimeline {
        let start = (FIRST_DAY - 2) * DAY;
        let end = (END_DAY + 2) * DAY;
        let mut prev_t = start;
        let mut prev = offset_at(tz, start);
        let mut changes = vec![OffsetChange {
            at: i64::MIN,
            offset: prev,
        }];
        let mut t = start + SAMPLE_STEP;
        while t <= end {
            let o = offset_at(tz, t);
            if o != prev {
                // The change lies in (prev_t, t]: find its first second.
                let (mut lo, mut hi) = (prev_t, t);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset_at(tz, mid) == prev {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                changes.push(OffsetChange { at: hi, offset: o });
                prev = o;
            }
            prev_t = t;
            t += SAMPLE_STEP;
        }
        let mut z = ZoneTimeline {
            tz,
            changes,
            change_days: DayBits::default(),
        };
        z.change_days = z.change_days().collect();
        z
    }

    /// True if an offset change may touch local day `day`.
    pub(crate) fn is_change_day(&self, day: i64) -> bool {
        self.change_days.contains(day)
    }

    /// The zone.
    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    /// The index of the change in force at UTC second `t`.
    fn index_at(&self, t: i64) -> usize {
        self.changes.partition_point(|c| c.at <= t) - 1
    }

    /// The offset (seconds east of UTC) in force at UTC second `t`.
    pub(crate) fn offset(&self, t: i64) -> i64 {
        self.changes[self.index_at(t)].offset
    }

    /// The local day (days since 1970-01-01) of UTC second `t`.
    pub(crate) fn local_day(&self, t: i64) -> i64 {
        (t + self.offset(t)).div_euclid(DAY)
    }

    /// Visits the UTC ranges whose local wall time lies in `[open, close)` (seconds of the
    /// day) of local day `day`, in time order, as half-open `(start, end)` pairs, until
    /// `visit` returns false. On a day with an offset change, a skipped wall time contributes
    /// nothing and a repeated wall time contributes twice. Returns false if stopped early.
    pub(crate) fn visit_wall_interval(
        &self,
        day: i64,
        open: i64,
        close: i64,
        visit: &mut impl FnMut(i64, i64) -> bool,
    ) -> bool {
        let a = day * DAY + open;
        let b = day * DAY + close;
        // Offsets stay within +-26h, so only changes near [a, b] matter.
        let mut k = self.index_at(a - 26 * 3600);
        loop {
            let seg_start = self.changes[k].at;
            let seg_end = self.changes.get(k + 1).map_or(i64::MAX, |c| c.at);
            let o = self.changes[k].offset;
            let s = (a - o).max(seg_start);
            let e = (b - o).min(seg_end);
            if s < e && !visit(s, e) {
                return false;
            }
            if seg_end > b + 26 * 3600 || k + 1 >= self.changes.len() {
                return true;
            }
            k += 1;
        }
    }

    /// Local days whose offset is not constant: for every change, the days from just
    /// before the local date it leaves to just after the one it arrives at, and every date
    /// between them, which a jump of a day or more skips (Pacific/Apia went from
    /// 2011-12-29 to 2011-12-31: the 30th never happened there). A superset, so that
    /// nothing is missed.
    pub(crate) fn change_days(&self) -> impl Iterator<Item = i64> + '_ {
        self.changes.windows(2).flat_map(|w| {
            let before = (w[1].at - 1 + w[0].offset).div_euclid(DAY);
            let after = (w[1].at + w[1].offset).div_euclid(DAY);
            (before.min(after) - 1)..=(before.max(after) + 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_changes_on_the_known_instants() {
        let z = ZoneTimeline::for_name("Europe/Berlin").unwrap();
        // 2026-03-29 01:00 UTC: +1h -> +2h; 2026-10-25 01:00 UTC: +2h -> +1h.
        let spring = 1_774_746_000;
        let autumn = 1_792_890_000;
        assert_eq!(z.offset(spring - 1), 3600);
        assert_eq!(z.offset(spring), 7200);
        assert_eq!(z.offset(autumn - 1), 7200);
        assert_eq!(z.offset(autumn), 3600);
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert!(matches!(
            ZoneTimeline::for_name("Mars/Olympus"),
            Err(DomainError::UnknownTimeZone(_))
        ));
    }

    #[test]
    fn skipped_and_repeated_hours() {
        let z = ZoneTimeline::for_name("Europe/Berlin").unwrap();
        let spring_day = 1_774_746_000 / DAY; // 2026-03-29
        let autumn_day = 1_792_890_000 / DAY; // 2026-10-25
        let len = |day, o, c| {
            let mut total = 0;
            z.visit_wall_interval(day, o, c, &mut |s, e| {
                total += e - s;
                true
            });
            total
        };
        assert_eq!(len(spring_day, 3600, 4 * 3600), 2 * 3600);
        assert_eq!(len(autumn_day, 3600, 4 * 3600), 4 * 3600);
        assert_eq!(len(spring_day, 9 * 3600, 17 * 3600), 8 * 3600);
        assert_eq!(len(spring_day, 0, DAY), 23 * 3600);
        assert_eq!(len(autumn_day, 0, DAY), 25 * 3600);
    }
}
