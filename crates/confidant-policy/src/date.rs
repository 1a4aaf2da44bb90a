//! Calendar dates for review schedules: whole months added (clamping to
//! the month's last day) and compared. The calendar is `jiff`'s, through
//! confidant-core's `CivilDate` and `calendar::add_months`; this type keeps
//! the policy crate's public shape (`Date { year, month, day }`).

use confidant_core::calendar;
use confidant_core::record::CivilDate;
use std::fmt;
use std::str::FromStr;

/// A calendar date (years 1 to 9999).
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

impl From<CivilDate> for Date {
    fn from(d: CivilDate) -> Date {
        Date {
            year: d.year(),
            month: d.month(),
            day: d.day(),
        }
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        CivilDate::new(year, month, day)
            .map(Date::from)
            .ok_or(DateError)
    }

    fn civil(self) -> Option<CivilDate> {
        CivilDate::new(self.year, self.month, self.day)
    }

    /// The same day `months` later, or the month's last day if shorter
    /// (saturating at 9999-12-31).
    pub fn add_months(self, months: u32) -> Date {
        let max = Date {
            year: 9999,
            month: 12,
            day: 31,
        };
        self.civil()
            .and_then(|d| calendar::add_months(d, i32::try_from(months).ok()?).ok())
            .map_or(max, Date::from)
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
        CivilDate::parse(s, "date")
            .map(Date::from)
            .map_err(|_| DateError)
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
