//! Time as the regulations count it: instants are stored in UTC and shown, and cut into months,
//! quarters and half-years, in China Standard Time (UTC+8, no daylight saving).

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

pub const CHINA_STANDARD_TIME: UtcOffset = offset!(+8);

/// The quarter (1–4) and its year of an instant, cut in China Standard Time (S6 ¶1, R8).
pub fn quarter_of(t: OffsetDateTime) -> (i32, u8) {
    let local = t.to_offset(CHINA_STANDARD_TIME);
    (local.year(), (u8::from(local.month()) - 1) / 3 + 1)
}

/// The half-year (1–2) of an instant in China Standard Time (S6 ¶2, R10).
pub fn half_year_of(t: OffsetDateTime) -> (i32, u8) {
    let local = t.to_offset(CHINA_STANDARD_TIME);
    (local.year(), if u8::from(local.month()) <= 6 { 1 } else { 2 })
}

/// The month of an instant in China Standard Time.
pub fn month_of(t: OffsetDateTime) -> (i32, u8) {
    let local = t.to_offset(CHINA_STANDARD_TIME);
    (local.year(), u8::from(local.month()))
}

/// Parse an instant as a person or a system writes it: RFC 3339 with an offset, or a wall-clock time
/// `YYYY-MM-DD HH:MM[:SS]` (also with `T`, as an HTML datetime-local field sends it) read as China
/// Standard Time.
///
/// Only instants in the years 1 to 9998 (UTC) are accepted: at the ends of the calendar a change
/// of offset, to UTC here or to China Standard Time when shown or cut into periods, or a day
/// added to a date bound would leave the range the `time` crate can hold (issue 17: a panic
/// reachable from input, e.g. `9999-12-31T23:00:00-05:00`).
pub fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    let parsed = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(t) => t,
        Err(_) => {
            let normalised = text.replacen('T', " ", 1);
            let with_seconds = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            let without_seconds = format_description!("[year]-[month]-[day] [hour]:[minute]");
            PrimitiveDateTime::parse(&normalised, with_seconds)
                .or_else(|_| PrimitiveDateTime::parse(&normalised, without_seconds))
                .ok()?
                .assume_offset(CHINA_STANDARD_TIME)
        }
    };
    parsed.checked_to_offset(UtcOffset::UTC).filter(|t| (1..=9998).contains(&t.year()))
}

/// RFC 3339 in UTC, as stored and as the API returns instants.
pub fn format_utc(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(&Rfc3339).expect("an OffsetDateTime formats as RFC 3339")
}

/// `YYYY-MM-DD HH:MM` in China Standard Time, as people read it.
pub fn format_cst(t: OffsetDateTime) -> String {
    t.to_offset(CHINA_STANDARD_TIME)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .expect("formats")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn quarter_is_cut_in_china_standard_time() {
        // 2026-03-31 23:30 in Beijing is 15:30 UTC: still the first quarter.
        assert_eq!(quarter_of(datetime!(2026-03-31 15:30 UTC)), (2026, 1));
        // 2026-04-01 00:30 in Beijing is 16:30 UTC on 31 March: the second quarter.
        assert_eq!(quarter_of(datetime!(2026-03-31 16:30 UTC)), (2026, 2));
        assert_eq!(quarter_of(datetime!(2025-12-31 16:00 UTC)), (2026, 1));
        assert_eq!(half_year_of(datetime!(2026-06-30 16:00 UTC)), (2026, 2));
        assert_eq!(month_of(datetime!(2026-01-31 16:00 UTC)), (2026, 2));
    }

    #[test]
    fn wall_clock_times_are_china_standard_time() {
        let t = parse_instant("2026-03-31 23:30").unwrap();
        assert_eq!(t, datetime!(2026-03-31 15:30 UTC));
        assert_eq!(parse_instant("2026-03-31T23:30").unwrap(), t);
        assert_eq!(parse_instant("2026-03-31T23:30:00+08:00").unwrap(), t);
        assert_eq!(parse_instant("2026-03-31T15:30:00Z").unwrap(), t);
        assert_eq!(format_cst(t), "2026-03-31 23:30");
        assert_eq!(format_utc(t), "2026-03-31T15:30:00Z");
        assert!(parse_instant("31/03/2026").is_none());
    }

    #[test]
    fn instants_at_the_ends_of_the_calendar_are_refused_not_a_panic() {
        for text in [
            "9999-12-31T23:00:00-05:00",
            "9999-12-31T20:00:00Z",
            "9999-12-31 23:59",
            "0000-01-01T03:00:00+05:00",
            "0000-01-01 00:00",
        ] {
            assert_eq!(parse_instant(text), None, "{text}");
        }
        let last = parse_instant("9998-12-31T23:59:59Z").unwrap();
        assert_eq!(format_cst(last), "9999-01-01 07:59");
        assert_eq!(quarter_of(last + time::Duration::days(1)), (9999, 1));
        let first = parse_instant("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(format_utc(first - time::Duration::days(1) + time::Duration::days(1)), "0001-01-01T00:00:00Z");
    }
}
