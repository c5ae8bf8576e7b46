//! How explanations write instants, durations and numbers for people: an instant as
//! chrono shows a UTC time (`2026-03-02 09:00:00 UTC`), a duration as `8h`, `1h30m` or
//! `0h00m05s`. Every deadline answer carries such sentences, so the `write_*` functions
//! put them straight into the sentence being built, without `format!`'s argument
//! machinery, and the common instant (whole seconds, years 0-9999) without chrono's
//! general formatter, which costs several times more. `Stamp` and `Human` show the same
//! text wherever a `Display` is wanted. A value a client sent is repeated as [`Quoted`],
//! cut to a bounded length, so that no error message grows with its input.

use std::fmt;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};

/// The most characters of a client's value an error message repeats.
pub const QUOTE_MAX_CHARS: usize = 64;

/// A value a client sent, as an error message repeats it: in double quotes with Rust's
/// escapes (`"Mars/Base"`), and when longer than [`QUOTE_MAX_CHARS`] characters its first
/// ones with an ellipsis and the full length (`"aaaa…" (20000 characters)`). Errors quote
/// through this so that a 4 MiB field yields an answer of a few hundred bytes, which every
/// client reads with its default metadata limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted(String);

impl Quoted {
    /// `value` as an error message quotes it.
    pub fn new(value: &str) -> Quoted {
        let chars = value.chars().count();
        if chars <= QUOTE_MAX_CHARS {
            return Quoted(format!("{value:?}"));
        }
        let head: String = value.chars().take(QUOTE_MAX_CHARS).collect();
        let head = format!("{head:?}");
        // The ellipsis goes inside the quotes: `"abc…" (70 characters)`.
        let open = &head[..head.len() - 1];
        Quoted(format!("{open}…\" ({chars} characters)"))
    }
}

impl fmt::Display for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An instant as `YYYY-MM-DD HH:MM:SS UTC`: the same text as chrono's `Display` for
/// `DateTime<Utc>`, which it falls back to for fractions of a second and far years.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(pub DateTime<Utc>);

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_stamp(f, self.0)
    }
}

/// Writes `t` as [`Stamp`] shows it, into a sentence being built (a `String`) without
/// going through `format!`'s argument machinery.
pub fn write_stamp(w: &mut impl fmt::Write, t: DateTime<Utc>) -> fmt::Result {
    let year = t.year();
    if t.nanosecond() != 0 || !(0..=9999).contains(&year) {
        return write!(w, "{t}");
    }
    let mut b = *b"0000-00-00 00:00:00 UTC";
    // `year` is in 0..=9999 here.
    put_digits(&mut b[0..4], u64::from(year.unsigned_abs()));
    put_digits(&mut b[5..7], u64::from(t.month()));
    put_digits(&mut b[8..10], u64::from(t.day()));
    put_digits(&mut b[11..13], u64::from(t.hour()));
    put_digits(&mut b[14..16], u64::from(t.minute()));
    put_digits(&mut b[17..19], u64::from(t.second()));
    w.write_str(ascii(&b)?)
}

/// A duration as people write it (`8h`, `1h30m`, `0h00m05s`, `-2h`).
#[derive(Debug, Clone, Copy)]
pub struct Human(pub TimeDelta);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_human(f, self.0)
    }
}

/// Writes `d` as [`Human`] shows it, into a sentence being built.
pub fn write_human(w: &mut impl fmt::Write, d: TimeDelta) -> fmt::Result {
    let s = d.num_seconds();
    if s < 0 {
        w.write_str("-")?;
    }
    let s = s.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    write_u64(w, h)?;
    w.write_str("h")?;
    if m != 0 || sec != 0 {
        let mut b = *b"00m";
        put_digits(&mut b[0..2], m);
        w.write_str(ascii(&b)?)?;
    }
    if sec != 0 {
        let mut b = *b"00s";
        put_digits(&mut b[0..2], sec);
        w.write_str(ascii(&b)?)?;
    }
    Ok(())
}

/// Writes `v` in decimal.
pub fn write_u64(w: &mut impl fmt::Write, mut v: u64) -> fmt::Result {
    let mut b = [b'0'; 20];
    let mut start = b.len();
    loop {
        start -= 1;
        b[start] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    w.write_str(ascii(&b[start..])?)
}

/// Writes `v` in decimal, with a `-` when negative.
pub fn write_i64(w: &mut impl fmt::Write, v: i64) -> fmt::Result {
    if v < 0 {
        w.write_str("-")?;
    }
    write_u64(w, v.unsigned_abs())
}

/// Fills `out` with the last `out.len()` decimal digits of `v`, zero-padded.
fn put_digits(out: &mut [u8], mut v: u64) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// The text of bytes this module wrote (ASCII digits into ASCII templates).
fn ascii(b: &[u8]) -> Result<&str, fmt::Error> {
    std::str::from_utf8(b).map_err(|_| fmt::Error)
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

    proptest! {
        /// Durations read as the `format!` they replace wrote them.
        #[test]
        fn durations_read_as_format_wrote_them(s in -400_000_000i64..400_000_000) {
            let a = s.unsigned_abs();
            let (h, m, sec) = (a / 3600, a / 60 % 60, a % 60);
            let mut expected = format!("{}{h}h", if s < 0 { "-" } else { "" });
            if m != 0 || sec != 0 {
                expected.push_str(&format!("{m:02}m"));
            }
            if sec != 0 {
                expected.push_str(&format!("{sec:02}s"));
            }
            prop_assert_eq!(Human(TimeDelta::seconds(s)).to_string(), expected);
        }

        #[test]
        fn numbers_read_as_format_writes_them(v in any::<u64>(), i in any::<i64>()) {
            let mut text = String::new();
            write_u64(&mut text, v).expect("a String takes any text");
            prop_assert_eq!(text, v.to_string());
            let mut text = String::new();
            write_i64(&mut text, i).expect("a String takes any text");
            prop_assert_eq!(text, i.to_string());
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
