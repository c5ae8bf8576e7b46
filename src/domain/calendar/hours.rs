//! Wall-clock hours: a time of day ([`TimeOfDay`], 00:00 through 24:00) and an open
//! interval of one day ([`OpenInterval`]), the pieces a calendar's weekly hours and
//! special dates are written in. They parse and print themselves and know nothing of
//! dates or zones.

use std::fmt;
use std::str::FromStr;

use crate::domain::error::DomainError;
use crate::domain::text::Quoted;

/// A wall-clock time of day, in seconds after local midnight; 24:00 is allowed as a
/// closing time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(pub(super) u32);

impl TimeOfDay {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// Midnight at the end of the day (24:00).
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(86_400);

    /// A time from hours and minutes; `None` past 24:00.
    pub fn hm(hours: u32, minutes: u32) -> Option<TimeOfDay> {
        let s = hours * 3600 + minutes * 60;
        (minutes < 60 && s <= 86_400).then_some(TimeOfDay(s))
    }

    /// Seconds after midnight.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> String {
        t.to_string()
    }
}

impl FromStr for TimeOfDay {
    type Err = DomainError;
    /// Parses `HH:MM` or `HH:MM:SS`, 00:00 through 24:00.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DomainError::InvalidTimeOfDay(Quoted::new(s));
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
            return Err(bad());
        }
        let num = |p: &str| p.parse::<u32>().map_err(|_| bad());
        let (h, m) = (num(parts[0])?, num(parts[1])?);
        let sec = if parts.len() == 3 { num(parts[2])? } else { 0 };
        if m >= 60 || sec >= 60 {
            return Err(bad());
        }
        let total = h * 3600 + m * 60 + sec;
        if total > 86_400 {
            return Err(bad());
        }
        Ok(TimeOfDay(total))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// An open interval of local wall time within one day: `[open, close)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct OpenInterval {
    /// When support opens.
    pub open: TimeOfDay,
    /// When support closes; may be 24:00.
    pub close: TimeOfDay,
}

impl OpenInterval {
    /// The error for an interval that closes at or before it opens, if this one does.
    pub fn check(&self) -> Result<(), DomainError> {
        if self.close <= self.open {
            return Err(DomainError::InvertedInterval {
                open: self.open.to_string(),
                close: self.close.to_string(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for OpenInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.open, self.close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_parse_and_print() {
        assert_eq!("24:00".parse::<TimeOfDay>().unwrap(), TimeOfDay::END_OF_DAY);
        assert_eq!(
            "09:30:15".parse::<TimeOfDay>().unwrap().to_string(),
            "09:30:15"
        );
        for bad in ["24:01", "9:00", "12:60", "ab:cd", "12", "12:00:00:00"] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
    }
}
