//! How explanations write instants and durations for people: an instant as chrono shows
//! a UTC time (`2026-03-02 09:00:00 UTC`) and a duration as `8h`, `1h30m` or `0h00m05s`.
//! Every deadline answer carries such sentences, so both are written straight into the
//! sentence being built, and the common instant (whole seconds, years 0-9999) without
//! going through chrono's general formatter, which costs several times more.

use std::fmt;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};

/// An instant as `YYYY-MM-DD HH:MM:SS UTC`: the same text as chrono's `Display` for
/// `DateTime<Utc>`, which it falls back to for fractions of a second and far years.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(pub DateTime<Utc>);

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let year = t.year();
        if t.nanosecond() != 0 || !(0..=9999).contains(&year) {
            return t.fmt(f);
        }
        let mut b = *b"0000-00-00 00:00:00 UTC";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        // `year` is in 0..=9999 here.
        put(0, 4, year.unsigned_abs());
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        // Only ASCII digits were written into an ASCII template.
        f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
    }
}

/// A duration as people write it (`8h`, `1h30m`, `0h00m05s`, `-2h`).
#[derive(Debug, Clone, Copy)]
pub struct Human(pub TimeDelta);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.num_seconds();
        let (sign, s) = if s < 0 { ("-", -s) } else { ("", s) };
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
        write!(f, "{sign}{h}h")?;
        if m != 0 || sec != 0 {
            write!(f, "{m:02}m")?;
        }
        if sec != 0 {
            write!(f, "{sec:02}s")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The fast path writes exactly what chrono writes, and so does the fallback.
        #[test]
        fn stamps_read_as_chrono_writes_them(
            secs in -62_167_219_200i64..253_402_300_800i64 + 86_400 * 400,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
        ) {
            let t = DateTime::from_timestamp(secs, nanos).expect("in range");
            prop_assert_eq!(Stamp(t).to_string(), t.to_string());
        }
    }

    #[test]
    fn stamps_of_the_edges() {
        for (secs, nanos, text) in [
            (0, 0, "1970-01-01 00:00:00 UTC"),
            (1_772_442_000, 0, "2026-03-02 09:00:00 UTC"),
            (1_772_442_000, 500_000_000, "2026-03-02 09:00:00.500 UTC"),
            (-62_167_219_200, 0, "0000-01-01 00:00:00 UTC"),
            (253_402_300_799, 0, "9999-12-31 23:59:59 UTC"),
            (253_402_300_800, 0, "+10000-01-01 00:00:00 UTC"),
        ] {
            let t = DateTime::from_timestamp(secs, nanos).expect("in range");
            assert_eq!(Stamp(t).to_string(), text);
            assert_eq!(t.to_string(), text);
        }
    }

    #[test]
    fn durations_as_people_write_them() {
        for (secs, text) in [
            (8 * 3600, "8h"),
            (5400, "1h30m"),
            (5, "0h00m05s"),
            (3661, "1h01m01s"),
            (-7200, "-2h"),
            (0, "0h"),
        ] {
            assert_eq!(Human(TimeDelta::seconds(secs)).to_string(), text);
        }
    }
}
