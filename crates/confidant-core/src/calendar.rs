//! The service's calendar: the dates a person sees (a subject access
//! request's receipt and due dates, a retention date, "today" for a policy
//! review) are dates in the service's time zone, not in UTC. A request that
//! arrives at 00:30 British Summer Time arrives that day, not the day
//! before. Stored timestamps stay UTC; only what is shown or counted in days
//! goes through here.
//!
//! The arithmetic is `jiff`'s (a month after 31 January is the last day of
//! February), with the IANA time zone database bundled into the binary so a
//! machine without `/usr/share/zoneinfo` computes the same dates.

use crate::record::{CivilDate, Timestamp};
use jiff::ToSpan;
use std::fmt;

/// The time zone a service works in when none is configured.
pub const DEFAULT_TIME_ZONE: &str = "Europe/London";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone `{0}` (use an IANA name such as Europe/London)")]
    UnknownTimeZone(String),
    #[error("the date is outside the range the calendar supports")]
    OutOfRange,
}

/// A service's calendar: its time zone, and the days it does not work
/// (public holidays, which differ between England and Wales, Scotland and
/// Northern Ireland, so they are the service's to configure).
#[derive(Clone)]
pub struct ServiceCalendar {
    zone_name: String,
    zone: jiff::tz::TimeZone,
    holidays: Vec<CivilDate>,
}

impl fmt::Debug for ServiceCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCalendar")
            .field("zone", &self.zone_name)
            .field("holidays", &self.holidays.len())
            .finish()
    }
}

impl Default for ServiceCalendar {
    fn default() -> Self {
        // The bundled database always has Europe/London; fall back to UTC
        // rather than fail if a build were ever made without it.
        ServiceCalendar::new(DEFAULT_TIME_ZONE).unwrap_or_else(|_| ServiceCalendar {
            zone_name: "UTC".into(),
            zone: jiff::tz::TimeZone::UTC,
            holidays: Vec::new(),
        })
    }
}

impl ServiceCalendar {
    /// A calendar in the named IANA time zone, with no holidays.
    pub fn new(zone_name: &str) -> Result<ServiceCalendar, CalendarError> {
        let zone = jiff::tz::TimeZone::get(zone_name)
            .map_err(|_| CalendarError::UnknownTimeZone(zone_name.to_string()))?;
        Ok(ServiceCalendar {
            zone_name: zone_name.to_string(),
            zone,
            holidays: Vec::new(),
        })
    }

    /// The same calendar with these public holidays as non-working days.
    pub fn with_holidays(mut self, mut holidays: Vec<CivilDate>) -> ServiceCalendar {
        holidays.sort();
        holidays.dedup();
        self.holidays = holidays;
        self
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The date, in the service's time zone, at which `at` happened.
    pub fn local_date(&self, at: Timestamp) -> Result<CivilDate, CalendarError> {
        let ts = jiff::Timestamp::from_microsecond(at.unix_micros())
            .map_err(|_| CalendarError::OutOfRange)?;
        from_jiff(ts.to_zoned(self.zone.clone()).date())
    }

    /// True on Saturdays, Sundays and the configured holidays.
    pub fn is_non_working_day(&self, date: CivilDate) -> bool {
        let Ok(d) = to_jiff(date) else { return false };
        matches!(
            d.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) || self.holidays.binary_search(&date).is_ok()
    }

    /// `date` itself when it is a working day, else the next working day.
    pub fn next_working_day(&self, date: CivilDate) -> Result<CivilDate, CalendarError> {
        let mut d = date;
        // A year of consecutive holidays would be a misconfiguration; stop
        // rather than loop.
        for _ in 0..366 {
            if !self.is_non_working_day(d) {
                return Ok(d);
            }
            d = add_days(d, 1)?;
        }
        Err(CalendarError::OutOfRange)
    }
}

/// `date` plus `months` calendar months: the corresponding date, or the last
/// day of the month when it has no such date (31 January + 1 = 28 or 29
/// February), as the ICO counts a month.
pub fn add_months(date: CivilDate, months: i32) -> Result<CivilDate, CalendarError> {
    let d = to_jiff(date)?;
    from_jiff(
        d.checked_add(months.months())
            .map_err(|_| CalendarError::OutOfRange)?,
    )
}

/// `date` plus `days` days (negative to go back).
pub fn add_days(date: CivilDate, days: i64) -> Result<CivilDate, CalendarError> {
    let d = to_jiff(date)?;
    let span = jiff::Span::new()
        .try_days(days)
        .map_err(|_| CalendarError::OutOfRange)?;
    from_jiff(d.checked_add(span).map_err(|_| CalendarError::OutOfRange)?)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: CivilDate, to: CivilDate) -> i64 {
    to.days_since_epoch() - from.days_since_epoch()
}

fn to_jiff(date: CivilDate) -> Result<jiff::civil::Date, CalendarError> {
    let year = i16::try_from(date.year()).map_err(|_| CalendarError::OutOfRange)?;
    let month = i8::try_from(date.month()).map_err(|_| CalendarError::OutOfRange)?;
    let day = i8::try_from(date.day()).map_err(|_| CalendarError::OutOfRange)?;
    jiff::civil::Date::new(year, month, day).map_err(|_| CalendarError::OutOfRange)
}

fn from_jiff(date: jiff::civil::Date) -> Result<CivilDate, CalendarError> {
    let month = u8::try_from(date.month()).map_err(|_| CalendarError::OutOfRange)?;
    let day = u8::try_from(date.day()).map_err(|_| CalendarError::OutOfRange)?;
    CivilDate::new(i32::from(date.year()), month, day).ok_or(CalendarError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).unwrap()
    }

    #[test]
    fn a_month_after_a_day_the_next_month_lacks_is_its_last_day() {
        assert_eq!(add_months(d(2025, 1, 31), 1).unwrap(), d(2025, 2, 28));
        assert_eq!(add_months(d(2024, 1, 31), 1).unwrap(), d(2024, 2, 29));
        assert_eq!(add_months(d(2026, 3, 31), 1).unwrap(), d(2026, 4, 30));
        assert_eq!(add_months(d(2026, 9, 3), 1).unwrap(), d(2026, 10, 3));
        assert_eq!(add_months(d(2026, 12, 15), 1).unwrap(), d(2027, 1, 15));
        assert_eq!(add_months(d(2025, 11, 30), 3).unwrap(), d(2026, 2, 28));
    }

    #[test]
    fn local_date_follows_british_summer_time() {
        let cal = ServiceCalendar::default();
        // 2026-06-30T23:30:00Z is 00:30 BST on 1 July.
        let at = Timestamp::parse("2026-06-30T23:30:00Z", "t").unwrap();
        assert_eq!(cal.local_date(at).unwrap(), d(2026, 7, 1));
        // In winter London is on UTC.
        let at = Timestamp::parse("2026-01-31T23:30:00Z", "t").unwrap();
        assert_eq!(cal.local_date(at).unwrap(), d(2026, 1, 31));
        let utc = ServiceCalendar::new("UTC").unwrap();
        let at = Timestamp::parse("2026-06-30T23:30:00Z", "t").unwrap();
        assert_eq!(utc.local_date(at).unwrap(), d(2026, 6, 30));
    }

    #[test]
    fn unknown_time_zones_are_refused_by_name() {
        let e = ServiceCalendar::new("Europe/Atlantis").unwrap_err();
        assert!(e.to_string().contains("Europe/Atlantis"));
    }

    #[test]
    fn weekends_and_configured_holidays_are_not_working_days() {
        let cal = ServiceCalendar::default().with_holidays(vec![d(2026, 12, 25), d(2026, 12, 28)]);
        // Friday 25 December 2026 (holiday) -> Tuesday 29 (Mon 28 is the
        // substitute Boxing Day holiday).
        assert_eq!(
            cal.next_working_day(d(2026, 12, 25)).unwrap(),
            d(2026, 12, 29)
        );
        // Saturday 5 December 2026 -> Monday 7.
        assert_eq!(
            cal.next_working_day(d(2026, 12, 5)).unwrap(),
            d(2026, 12, 7)
        );
        assert_eq!(
            cal.next_working_day(d(2026, 12, 2)).unwrap(),
            d(2026, 12, 2)
        );
    }

    #[test]
    fn days_between_counts_across_months_and_leap_days() {
        assert_eq!(days_between(d(2024, 2, 28), d(2024, 3, 1)), 2);
        assert_eq!(days_between(d(2025, 2, 28), d(2025, 3, 1)), 1);
        assert_eq!(days_between(d(2026, 3, 1), d(2026, 2, 1)), -28);
        assert_eq!(add_days(d(2024, 2, 28), 1).unwrap(), d(2024, 2, 29));
    }
}
