//! Calendar dates for review schedules: just enough arithmetic to add whole
//! months (clamping to the month's last day) and compare.

use std::fmt;
use std::str::FromStr;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// A date that is not `YYYY-MM-DD` (or `YYYY`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date (expected YYYY-MM-DD or YYYY)")]
pub struct DateError;

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError);
        }
        Ok(Date { year, month, day })
    }

    /// The same day `months` later, or the month's last day if shorter.
    pub fn add_months(self, months: u32) -> Date {
        let total = i64::from(self.year) * 12 + i64::from(self.month - 1) + i64::from(months);
        let year = i32::try_from(total.div_euclid(12)).unwrap_or(i32::MAX);
        let month = (total.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    /// Parses `YYYY-MM-DD`, or `YYYY` (taken as 1 January: the earliest
    /// the review can have been, so an overdue review is never missed).
    pub fn parse_lenient(s: &str) -> Result<Date, DateError> {
        if s.len() == 4 {
            let year = s.parse().map_err(|_| DateError)?;
            return Date::new(year, 1, 1);
        }
        s.parse()
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError);
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = s.get(r).ok_or(DateError)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(DateError);
            }
            part.parse().map_err(|_| DateError)
        };
        let year = i32::try_from(num(0..4)?).map_err(|_| DateError)?;
        let month = u8::try_from(num(5..7)?).map_err(|_| DateError)?;
        let day = u8::try_from(num(8..10)?).map_err(|_| DateError)?;
        Date::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d: Date = "2024-08-03".parse().unwrap();
        assert_eq!(d.to_string(), "2024-08-03");
        assert!("2024-02-30".parse::<Date>().is_err());
        assert!("2024-8-3".parse::<Date>().is_err());
        assert_eq!(
            Date::parse_lenient("2024").unwrap(),
            Date::new(2024, 1, 1).unwrap()
        );
    }

    #[test]
    fn adds_months_clamping_to_month_end() {
        let d = Date::new(2024, 1, 31).unwrap();
        assert_eq!(d.add_months(1), Date::new(2024, 2, 29).unwrap());
        assert_eq!(d.add_months(13), Date::new(2025, 2, 28).unwrap());
        assert_eq!(
            Date::new(2024, 8, 3).unwrap().add_months(12),
            Date::new(2025, 8, 3).unwrap()
        );
    }
}
