//! The clock of a subject access request (UK GDPR Art. 12(3); the ICO's
//! guidance on the right of access, "How long do we have to comply?").
//!
//! - The controller must respond "without undue delay and in any event
//!   within one month of receipt". The ICO counts from the day of receipt to
//!   the corresponding calendar date in the next month; when that month has
//!   no such date, the last day of the month (received 31 January: due 28 or
//!   29 February); when the date falls on a weekend or public holiday, the
//!   next working day.
//! - Where the controller needs to confirm the requester's identity, the
//!   clock starts when identity is confirmed, not at receipt.
//! - While the controller asks the requester to clarify the request, the
//!   clock is paused; it resumes when the clarification arrives, and the
//!   days it was paused are added to the due date.
//! - The period "may be extended by two further months where necessary,
//!   taking into account the complexity and number of the requests"; the
//!   requester must be told of the extension, with the reasons, "within one
//!   month of receipt of the request".
//!
//! The clock holds dates only (the reasons for an extension are the caller's
//! to store, sealed, with the request); every date is a date in the
//! service's time zone (see [`crate::calendar`]).

use crate::calendar::{self, CalendarError, ServiceCalendar};
use crate::record::CivilDate;
use serde::Serialize;

/// Whether the requester's identity has to be confirmed before the clock
/// starts (ICO: only where there is reasonable doubt, e.g. a request by
/// email from an unknown address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCheck {
    NotNeeded,
    Pending,
    Confirmed(CivilDate),
}

/// A pause while the service waits for the requester to clarify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClarificationPause {
    pub asked: CivilDate,
    pub answered: Option<CivilDate>,
}

/// An extension of the time limit (Art. 12(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    /// When the requester was told of the extension and its reasons.
    pub notice_sent: CivilDate,
    /// One or two further months.
    pub further_months: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SarClockError {
    #[error("identity confirmation was not required for this request")]
    IdentityNotRequired,
    #[error("identity has already been confirmed")]
    IdentityAlreadyConfirmed,
    #[error(
        "the requester's identity must be confirmed first: the clock starts at confirmation and nothing may be released before it"
    )]
    IdentityPending,
    #[error("{what} ({date}) is before {before} ({before_date})")]
    DateOutOfOrder {
        what: &'static str,
        date: CivilDate,
        before: &'static str,
        before_date: CivilDate,
    },
    #[error("the clock is already paused for clarification (since {0})")]
    AlreadyPaused(CivilDate),
    #[error("the clock is not paused")]
    NotPaused,
    #[error("the clock is paused for clarification; resume it first")]
    Paused,
    #[error("an extension is one or two further months, not {0}")]
    ExtensionLength(u8),
    #[error("an extension needs its reasons, which the requester must be told")]
    ExtensionWithoutReasons,
    #[error(
        "an extension must be notified within the first month: the notice ({notice}) is after the first-month due date ({due})"
    )]
    ExtensionTooLate { notice: CivilDate, due: CivilDate },
    #[error("the request has already been extended (to {0})")]
    AlreadyExtended(CivilDate),
    #[error("the response was already due on {0}: respond rather than pause")]
    PastDue(CivilDate),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// Where a request's clock stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum ClockState {
    /// Waiting for the requester's identity to be confirmed.
    AwaitingIdentity,
    /// Paused while the requester clarifies.
    Paused {
        #[serde(serialize_with = "date_string")]
        since: CivilDate,
    },
    Running,
}

/// The clock's figures on a given day, for a list ("days left, overdue
/// first") or a request's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClockStatus {
    pub state: ClockState,
    /// The day the clock started (receipt, or identity confirmation).
    #[serde(serialize_with = "optional_date_string")]
    pub started: Option<CivilDate>,
    /// The one-month due date, paused days included, the date by which an
    /// extension must be notified.
    #[serde(serialize_with = "optional_date_string")]
    pub first_month_due: Option<CivilDate>,
    /// The date the response is due (with any extension).
    #[serde(serialize_with = "optional_date_string")]
    pub due: Option<CivilDate>,
    /// Days from today to the due date; negative when overdue.
    pub days_left: Option<i64>,
    pub overdue: bool,
}

fn date_string<S: serde::Serializer>(date: &CivilDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

fn optional_date_string<S: serde::Serializer>(
    date: &Option<CivilDate>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// The dated events of one subject access request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectAccessClock {
    received: CivilDate,
    identity: IdentityCheck,
    pauses: Vec<ClarificationPause>,
    extension: Option<Extension>,
}

impl SubjectAccessClock {
    /// A request received on `received` (a date in the service's zone).
    pub fn new(received: CivilDate, identity_check_needed: bool) -> SubjectAccessClock {
        SubjectAccessClock {
            received,
            identity: if identity_check_needed {
                IdentityCheck::Pending
            } else {
                IdentityCheck::NotNeeded
            },
            pauses: Vec::new(),
            extension: None,
        }
    }

    /// Rebuilds a clock from stored events, checking them as if they had
    /// been recorded one by one (so a stored record cannot hold a state the
    /// operations would have refused).
    pub fn from_events(
        received: CivilDate,
        identity: IdentityCheck,
        pauses: &[ClarificationPause],
        extension: Option<Extension>,
        calendar: &ServiceCalendar,
    ) -> Result<SubjectAccessClock, SarClockError> {
        let mut clock =
            SubjectAccessClock::new(received, !matches!(identity, IdentityCheck::NotNeeded));
        if let IdentityCheck::Confirmed(on) = identity {
            clock.confirm_identity(on)?;
        }
        // Events are replayed in date order; an extension notice falls
        // between the pauses that precede and follow it.
        let mut extension = extension;
        for p in pauses {
            if let Some(e) = extension
                && e.notice_sent < p.asked
            {
                clock.extend(e.notice_sent, e.further_months, true, calendar)?;
                extension = None;
            }
            clock.pause(p.asked, calendar)?;
            if let Some(answered) = p.answered {
                clock.resume(answered)?;
            }
        }
        if let Some(e) = extension {
            clock.extend(e.notice_sent, e.further_months, true, calendar)?;
        }
        Ok(clock)
    }

    pub fn received(&self) -> CivilDate {
        self.received
    }
    pub fn identity(&self) -> IdentityCheck {
        self.identity
    }
    pub fn pauses(&self) -> &[ClarificationPause] {
        &self.pauses
    }
    pub fn extension(&self) -> Option<Extension> {
        self.extension
    }

    /// The day the clock started, if it has.
    pub fn started(&self) -> Option<CivilDate> {
        match self.identity {
            IdentityCheck::NotNeeded => Some(self.received),
            IdentityCheck::Pending => None,
            IdentityCheck::Confirmed(on) => Some(on),
        }
    }

    fn open_pause(&self) -> Option<CivilDate> {
        self.pauses
            .iter()
            .find(|p| p.answered.is_none())
            .map(|p| p.asked)
    }

    /// The last date anything happened on, so later events cannot be dated
    /// before it.
    fn last_event(&self) -> CivilDate {
        let mut last = self.started().unwrap_or(self.received);
        for p in &self.pauses {
            last = last.max(p.answered.unwrap_or(p.asked));
        }
        if let Some(e) = self.extension {
            last = last.max(e.notice_sent);
        }
        last
    }

    fn paused_days(&self) -> i64 {
        self.pauses
            .iter()
            .filter_map(|p| p.answered.map(|a| calendar::days_between(p.asked, a)))
            .sum()
    }

    fn due_after(
        &self,
        months: i32,
        calendar: &ServiceCalendar,
    ) -> Result<Option<CivilDate>, SarClockError> {
        let Some(start) = self.started() else {
            return Ok(None);
        };
        let base = calendar::add_months(start, months)?;
        let with_pauses = calendar::add_days(base, self.paused_days())?;
        Ok(Some(calendar.next_working_day(with_pauses)?))
    }

    /// The one-month due date (with the days paused so far).
    pub fn first_month_due(
        &self,
        calendar: &ServiceCalendar,
    ) -> Result<Option<CivilDate>, SarClockError> {
        self.due_after(1, calendar)
    }

    /// The response's due date, extension included; `None` until the clock
    /// has started. While paused, the date it would be if the pause ended
    /// today is not known, so this is the due date as of the pause.
    pub fn due(&self, calendar: &ServiceCalendar) -> Result<Option<CivilDate>, SarClockError> {
        let months = 1 + self.extension.map_or(0, |e| i32::from(e.further_months));
        self.due_after(months, calendar)
    }

    pub fn confirm_identity(&mut self, on: CivilDate) -> Result<(), SarClockError> {
        match self.identity {
            IdentityCheck::NotNeeded => return Err(SarClockError::IdentityNotRequired),
            IdentityCheck::Confirmed(_) => return Err(SarClockError::IdentityAlreadyConfirmed),
            IdentityCheck::Pending => {}
        }
        if on < self.received {
            return Err(SarClockError::DateOutOfOrder {
                what: "identity confirmation",
                date: on,
                before: "receipt",
                before_date: self.received,
            });
        }
        self.identity = IdentityCheck::Confirmed(on);
        Ok(())
    }

    /// The service asks the requester to clarify: the clock stops.
    pub fn pause(
        &mut self,
        on: CivilDate,
        calendar: &ServiceCalendar,
    ) -> Result<(), SarClockError> {
        if self.started().is_none() {
            return Err(SarClockError::IdentityPending);
        }
        if let Some(since) = self.open_pause() {
            return Err(SarClockError::AlreadyPaused(since));
        }
        let last = self.last_event();
        if on < last {
            return Err(SarClockError::DateOutOfOrder {
                what: "the request for clarification",
                date: on,
                before: "the last recorded step",
                before_date: last,
            });
        }
        if let Some(due) = self.due(calendar)?
            && on > due
        {
            return Err(SarClockError::PastDue(due));
        }
        self.pauses.push(ClarificationPause {
            asked: on,
            answered: None,
        });
        Ok(())
    }

    /// The clarification arrived: the clock runs again.
    pub fn resume(&mut self, on: CivilDate) -> Result<(), SarClockError> {
        let Some(pause) = self.pauses.iter_mut().find(|p| p.answered.is_none()) else {
            return Err(SarClockError::NotPaused);
        };
        if on < pause.asked {
            return Err(SarClockError::DateOutOfOrder {
                what: "the clarification",
                date: on,
                before: "the request for clarification",
                before_date: pause.asked,
            });
        }
        pause.answered = Some(on);
        Ok(())
    }

    /// Extends the time limit by one or two further months. `reasons_given`
    /// says the notice to the requester states the reasons (Art. 12(3)).
    pub fn extend(
        &mut self,
        notice_sent: CivilDate,
        further_months: u8,
        reasons_given: bool,
        calendar: &ServiceCalendar,
    ) -> Result<(), SarClockError> {
        if !(1..=2).contains(&further_months) {
            return Err(SarClockError::ExtensionLength(further_months));
        }
        if !reasons_given {
            return Err(SarClockError::ExtensionWithoutReasons);
        }
        if let Some(due) = self.extension.and(self.due(calendar)?) {
            return Err(SarClockError::AlreadyExtended(due));
        }
        if self.started().is_none() {
            return Err(SarClockError::IdentityPending);
        }
        if self.open_pause().is_some() {
            return Err(SarClockError::Paused);
        }
        let last = self.last_event();
        if notice_sent < last {
            return Err(SarClockError::DateOutOfOrder {
                what: "the extension notice",
                date: notice_sent,
                before: "the last recorded step",
                before_date: last,
            });
        }
        if let Some(due) = self.first_month_due(calendar)?
            && notice_sent > due
        {
            return Err(SarClockError::ExtensionTooLate {
                notice: notice_sent,
                due,
            });
        }
        self.extension = Some(Extension {
            notice_sent,
            further_months,
        });
        Ok(())
    }

    /// Refuses a response while identity is still to be confirmed, or while
    /// the clock is paused for a clarification that has not arrived.
    pub fn check_can_respond(&self) -> Result<(), SarClockError> {
        if self.started().is_none() {
            return Err(SarClockError::IdentityPending);
        }
        if self.open_pause().is_some() {
            return Err(SarClockError::Paused);
        }
        Ok(())
    }

    /// The clock's figures as of `today`.
    pub fn status(
        &self,
        today: CivilDate,
        calendar: &ServiceCalendar,
    ) -> Result<ClockStatus, SarClockError> {
        let state = match (self.started(), self.open_pause()) {
            (None, _) => ClockState::AwaitingIdentity,
            (Some(_), Some(since)) => ClockState::Paused { since },
            (Some(_), None) => ClockState::Running,
        };
        let mut due = self.due(calendar)?;
        if let (ClockState::Paused { since }, Some(d)) = (state, due) {
            // Every day of an open pause pushes the due date back one day.
            let paused_so_far = calendar::days_between(since, today).max(0);
            due = Some(calendar.next_working_day(calendar::add_days(d, paused_so_far)?)?);
        }
        let days_left = due.map(|d| calendar::days_between(today, d));
        Ok(ClockStatus {
            state,
            started: self.started(),
            first_month_due: self.first_month_due(calendar)?,
            due,
            days_left,
            overdue: matches!(state, ClockState::Running) && days_left.is_some_and(|n| n < 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).unwrap()
    }

    /// A calendar with no holidays and the weekend rule off would hide the
    /// month arithmetic behind roll-forwards, so the month-end cases pick
    /// dates whose due dates fall on weekdays.
    fn cal() -> ServiceCalendar {
        ServiceCalendar::default()
    }

    fn due(received: CivilDate) -> CivilDate {
        SubjectAccessClock::new(received, false)
            .due(&cal())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn one_calendar_month_to_the_corresponding_date() {
        // Received Thursday 3 September 2026: due Saturday 3 October, so the
        // next working day, Monday 5 October.
        assert_eq!(due(d(2026, 9, 3)), d(2026, 10, 5));
        // Received Wednesday 4 November 2026: due Friday 4 December.
        assert_eq!(due(d(2026, 11, 4)), d(2026, 12, 4));
    }

    #[test]
    fn month_ends_fall_back_to_the_last_day_of_the_next_month() {
        // 31 January 2025 -> Friday 28 February 2025.
        assert_eq!(due(d(2025, 1, 31)), d(2025, 2, 28));
        // Leap year: 31 January 2024 -> Thursday 29 February 2024.
        assert_eq!(due(d(2024, 1, 31)), d(2024, 2, 29));
        // 30 January 2024 -> 29 February too (no 30 February).
        assert_eq!(due(d(2024, 1, 30)), d(2024, 2, 29));
        // 31 March 2026 -> Thursday 30 April 2026.
        assert_eq!(due(d(2026, 3, 31)), d(2026, 4, 30));
        // 31 December 2026 -> Sunday 31 January 2027 -> Monday 1 February.
        assert_eq!(due(d(2026, 12, 31)), d(2027, 2, 1));
    }

    #[test]
    fn a_due_date_on_a_holiday_moves_to_the_next_working_day() {
        let cal = cal().with_holidays(vec![d(2026, 12, 25), d(2026, 12, 28)]);
        // Received Wednesday 25 November 2026: due Friday 25 December
        // (holiday), weekend, Monday 28 (substitute holiday) -> Tuesday 29.
        let clock = SubjectAccessClock::new(d(2026, 11, 25), false);
        assert_eq!(clock.due(&cal).unwrap(), Some(d(2026, 12, 29)));
    }

    #[test]
    fn the_clock_starts_at_identity_confirmation_when_it_was_needed() {
        let mut clock = SubjectAccessClock::new(d(2026, 11, 2), true);
        assert_eq!(clock.due(&cal()).unwrap(), None);
        assert_eq!(
            clock.check_can_respond(),
            Err(SarClockError::IdentityPending)
        );
        let status = clock.status(d(2026, 11, 10), &cal()).unwrap();
        assert_eq!(status.state, ClockState::AwaitingIdentity);
        assert!(!status.overdue);
        clock.confirm_identity(d(2026, 11, 9)).unwrap();
        // Monday 9 November -> Wednesday 9 December.
        assert_eq!(clock.due(&cal()).unwrap(), Some(d(2026, 12, 9)));
        assert_eq!(clock.check_can_respond(), Ok(()));
    }

    #[test]
    fn identity_confirmation_is_checked() {
        let mut clock = SubjectAccessClock::new(d(2026, 11, 2), false);
        assert_eq!(
            clock.confirm_identity(d(2026, 11, 3)),
            Err(SarClockError::IdentityNotRequired)
        );
        let mut clock = SubjectAccessClock::new(d(2026, 11, 2), true);
        assert!(matches!(
            clock.confirm_identity(d(2026, 11, 1)),
            Err(SarClockError::DateOutOfOrder { .. })
        ));
        clock.confirm_identity(d(2026, 11, 3)).unwrap();
        assert_eq!(
            clock.confirm_identity(d(2026, 11, 4)),
            Err(SarClockError::IdentityAlreadyConfirmed)
        );
    }

    #[test]
    fn a_clarification_pause_adds_the_days_it_lasted() {
        let cal = cal();
        // Received Wednesday 4 November 2026, due Friday 4 December.
        let mut clock = SubjectAccessClock::new(d(2026, 11, 4), false);
        clock.pause(d(2026, 11, 6), &cal).unwrap();
        assert_eq!(clock.check_can_respond(), Err(SarClockError::Paused));
        // While paused, each day pushes the due date back.
        let s = clock.status(d(2026, 11, 9), &cal).unwrap();
        assert_eq!(
            s.state,
            ClockState::Paused {
                since: d(2026, 11, 6)
            }
        );
        assert_eq!(s.due, Some(d(2026, 12, 7)));
        assert!(!s.overdue);
        clock.resume(d(2026, 11, 10)).unwrap();
        // Four days paused: Tuesday 8 December.
        assert_eq!(clock.due(&cal).unwrap(), Some(d(2026, 12, 8)));
        assert_eq!(clock.resume(d(2026, 11, 11)), Err(SarClockError::NotPaused));
    }

    #[test]
    fn pauses_are_refused_out_of_order_twice_or_after_the_due_date() {
        let cal = cal();
        let mut clock = SubjectAccessClock::new(d(2026, 11, 4), false);
        assert!(matches!(
            clock.pause(d(2026, 11, 3), &cal),
            Err(SarClockError::DateOutOfOrder { .. })
        ));
        assert_eq!(
            clock.pause(d(2026, 12, 7), &cal),
            Err(SarClockError::PastDue(d(2026, 12, 4)))
        );
        clock.pause(d(2026, 11, 6), &cal).unwrap();
        assert_eq!(
            clock.pause(d(2026, 11, 7), &cal),
            Err(SarClockError::AlreadyPaused(d(2026, 11, 6)))
        );
        assert!(matches!(
            clock.resume(d(2026, 11, 5)),
            Err(SarClockError::DateOutOfOrder { .. })
        ));
        let mut pending = SubjectAccessClock::new(d(2026, 11, 4), true);
        assert_eq!(
            pending.pause(d(2026, 11, 5), &cal),
            Err(SarClockError::IdentityPending)
        );
    }

    #[test]
    fn an_extension_adds_up_to_two_months_if_notified_in_the_first_month() {
        let cal = cal();
        // Received Wednesday 4 November 2026.
        let mut clock = SubjectAccessClock::new(d(2026, 11, 4), false);
        assert_eq!(
            clock.extend(d(2026, 11, 20), 3, true, &cal),
            Err(SarClockError::ExtensionLength(3))
        );
        assert_eq!(
            clock.extend(d(2026, 11, 20), 0, true, &cal),
            Err(SarClockError::ExtensionLength(0))
        );
        assert_eq!(
            clock.extend(d(2026, 11, 20), 2, false, &cal),
            Err(SarClockError::ExtensionWithoutReasons)
        );
        // On the first-month due date itself is still within the month.
        let mut on_due_day = clock.clone();
        on_due_day.extend(d(2026, 12, 4), 1, true, &cal).unwrap();
        // 4 January 2027 is a Monday.
        assert_eq!(on_due_day.due(&cal).unwrap(), Some(d(2027, 1, 4)));
        clock.extend(d(2026, 11, 20), 2, true, &cal).unwrap();
        // 4 February 2027 is a Thursday.
        assert_eq!(clock.due(&cal).unwrap(), Some(d(2027, 2, 4)));
        assert_eq!(clock.first_month_due(&cal).unwrap(), Some(d(2026, 12, 4)));
        assert_eq!(
            clock.extend(d(2026, 11, 21), 1, true, &cal),
            Err(SarClockError::AlreadyExtended(d(2027, 2, 4)))
        );
    }

    #[test]
    fn an_extension_after_the_first_month_is_refused_and_changes_nothing() {
        let cal = cal();
        let mut clock = SubjectAccessClock::new(d(2026, 11, 4), false);
        let before = clock.clone();
        assert_eq!(
            clock.extend(d(2026, 12, 5), 2, true, &cal),
            Err(SarClockError::ExtensionTooLate {
                notice: d(2026, 12, 5),
                due: d(2026, 12, 4)
            })
        );
        assert_eq!(clock, before);
    }

    #[test]
    fn an_extension_at_a_month_end_in_a_leap_year() {
        let cal = cal();
        // Received Wednesday 30 November 2027; first month due Thursday 30
        // December; +2 months from receipt = 29 February 2028 (leap year,
        // no 30 February), a Tuesday.
        let mut clock = SubjectAccessClock::new(d(2027, 11, 30), false);
        clock.extend(d(2027, 12, 1), 2, true, &cal).unwrap();
        assert_eq!(clock.due(&cal).unwrap(), Some(d(2028, 2, 29)));
    }

    #[test]
    fn days_left_and_overdue() {
        let cal = cal();
        let clock = SubjectAccessClock::new(d(2026, 11, 4), false);
        let s = clock.status(d(2026, 11, 30), &cal).unwrap();
        assert_eq!(s.days_left, Some(4));
        assert!(!s.overdue);
        let s = clock.status(d(2026, 12, 4), &cal).unwrap();
        assert_eq!(s.days_left, Some(0));
        assert!(!s.overdue);
        let s = clock.status(d(2026, 12, 7), &cal).unwrap();
        assert_eq!(s.days_left, Some(-3));
        assert!(s.overdue);
    }

    #[test]
    fn status_serialises_dates_as_iso_strings() {
        let clock = SubjectAccessClock::new(d(2026, 11, 4), false);
        let s = clock.status(d(2026, 11, 30), &cal()).unwrap();
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["due"], "2026-12-04");
        assert_eq!(json["state"]["state"], "running");
        assert_eq!(json["days_left"], 4);
    }

    #[test]
    fn stored_events_are_replayed_with_the_same_checks() {
        let cal = cal();
        let clock = SubjectAccessClock::from_events(
            d(2026, 11, 4),
            IdentityCheck::NotNeeded,
            &[ClarificationPause {
                asked: d(2026, 11, 6),
                answered: Some(d(2026, 11, 10)),
            }],
            Some(Extension {
                notice_sent: d(2026, 11, 20),
                further_months: 1,
            }),
            &cal,
        )
        .unwrap();
        // 4 Jan 2027 + 4 paused days = Friday 8 January.
        assert_eq!(clock.due(&cal).unwrap(), Some(d(2027, 1, 8)));
        // A stored extension notified too late is refused on load.
        let late = SubjectAccessClock::from_events(
            d(2026, 11, 4),
            IdentityCheck::NotNeeded,
            &[],
            Some(Extension {
                notice_sent: d(2027, 1, 2),
                further_months: 1,
            }),
            &cal,
        );
        assert!(matches!(late, Err(SarClockError::ExtensionTooLate { .. })));
    }
}
