//! Known answers for the stored date and time formats: values written by
//! the hand-written calendar (before jiff) must read, print and convert
//! exactly as they did. A change here would strand stored records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_core::record::{CivilDate, Timestamp};

/// (unix micros, as stored and displayed).
const TIMES: &[(i64, &str)] = &[
    (0, "1970-01-01T00:00:00.000000Z"),
    (1_764_000_000_123_456, "2025-11-24T16:00:00.123456Z"),
    (1_772_272_800_000_000, "2026-02-28T10:00:00.000000Z"),
    (951_782_400_000_001, "2000-02-29T00:00:00.000001Z"),
    (-1, "1969-12-31T23:59:59.999999Z"),
    (-631_152_000_000_000, "1950-01-01T00:00:00.000000Z"),
    (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
];

/// (date, days since 1970-01-01).
const DATES: &[(&str, i64)] = &[
    ("1970-01-01", 0),
    ("2000-02-29", 11_016),
    ("2024-02-29", 19_782),
    ("2026-01-31", 20_484),
    ("1900-03-01", -25_508),
    ("0001-01-01", -719_162),
    ("9999-12-31", 2_932_896),
];

#[test]
fn stored_timestamps_print_and_read_as_before() {
    for (us, text) in TIMES {
        assert_eq!(Timestamp(*us).to_string(), *text, "{us}");
        // The seconds form still parses to the same instant.
        let whole = Timestamp(us.div_euclid(1_000_000) * 1_000_000);
        assert_eq!(
            Timestamp::parse(&format!("{}Z", &text[..19]), "t").unwrap(),
            whole,
            "{text}"
        );
    }
    assert_eq!(
        Timestamp::parse("2026-01-31", "t").unwrap(),
        Timestamp(1_769_817_600_000_000)
    );
    for bad in [
        "2026-02-30T10:00:00Z",
        "2026-01-31T24:00:00Z",
        "2026-01-31T10:00:60Z",
        "2026-01-31 10:00:00Z",
        "2026-01-31T10:00:00",
        "2026-01-31T10:00:00+01:00",
        "26-01-31",
    ] {
        assert!(Timestamp::parse(bad, "t").is_err(), "{bad}");
    }
}

#[test]
fn stored_dates_read_and_convert_as_before() {
    for (text, days) in DATES {
        let d = CivilDate::parse(text, "d").unwrap();
        assert_eq!(d.to_string(), *text);
        assert_eq!(d.days_since_epoch(), *days, "{text}");
        assert_eq!(CivilDate::from_days_since_epoch(*days), d);
        assert_eq!(Timestamp::from_date(d).unix_micros(), days * 86_400_000_000);
    }
    for bad in [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "0000-01-01",
        "2024-4-01",
        "+02024-04-01",
        "2024-04-01T00:00:00Z",
    ] {
        assert!(CivilDate::parse(bad, "d").is_err(), "{bad}");
    }
    assert!(CivilDate::new(2024, 2, 29).is_some());
    assert!(CivilDate::new(1900, 2, 29).is_none());
    assert!(CivilDate::new(10_000, 1, 1).is_none());
}
