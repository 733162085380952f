//! Instants and dates as the CLI takes them and reports print them.
//!
//! A date given alone (`2026-09-30`) means the whole of that day in UTC: as an `--as-of`
//! instant it is the day's last second, so "supported as of 2026-09-30" includes that day.
//! RFC 3339 times are taken exactly. Reports print instants as RFC 3339 in UTC, to the second.
//! Every instant a user gives lies between [`FIRST_DAY`] and [`LAST_DAY`]: anything else is
//! an error, never a date arithmetic overflow later.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

/// The first day a date may name: the Unix epoch (no container, commit or report is older).
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

/// The last day a date may name: the last a four-digit year writes.
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{input}` is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-09-30T12:00:00Z)")]
    Invalid { input: String },
    #[error("`{input}` is out of range: dates run from {FIRST_DAY} to {LAST_DAY}")]
    OutOfRange { input: String },
}

/// Is the instant within [`FIRST_DAY`]..=[`LAST_DAY`]?
pub fn in_range(t: DateTime<Utc>) -> bool {
    (start_of_day(FIRST_DAY)..=end_of_day(LAST_DAY)).contains(&t)
}

/// Parses a date (its start, or with `end`, its last second) or an RFC 3339 time, within
/// the range of dates.
pub fn parse_instant(input: &str, end: bool) -> Result<DateTime<Utc>, TimeError> {
    let s = input.trim();
    let t = match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(date) if end => end_of_day(date),
        Ok(date) => start_of_day(date),
        Err(_) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| TimeError::Invalid {
                input: input.to_string(),
            })?,
    };
    if !in_range(t) {
        return Err(TimeError::OutOfRange {
            input: input.to_string(),
        });
    }
    Ok(t)
}

/// Parses an `--as-of` value.
pub fn parse_as_of(input: &str) -> Result<DateTime<Utc>, TimeError> {
    parse_instant(input, true)
}

pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let last = NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time");
    Utc.from_utc_datetime(&date.and_time(last))
}

/// `2026-09-30T23:59:59Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_mean_the_end_of_the_day_and_times_are_exact() {
        assert_eq!(
            rfc3339(parse_as_of("2026-09-30").unwrap()),
            "2026-09-30T23:59:59Z"
        );
        assert_eq!(
            rfc3339(parse_as_of("2026-09-30T10:00:00+02:00").unwrap()),
            "2026-09-30T08:00:00Z"
        );
        assert!(parse_as_of("30/09/2026").is_err());
        assert!(parse_as_of("2026-02-30").is_err());
    }

    #[test]
    fn dates_out_of_range_are_refused() {
        for bad in ["0000-01-01", "1969-12-31", "1969-12-31T23:59:59Z"] {
            assert!(
                matches!(parse_as_of(bad), Err(TimeError::OutOfRange { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_as_of("99999-01-01"),
            Err(TimeError::Invalid { .. })
        ));
        assert_eq!(
            rfc3339(parse_as_of("9999-12-31").unwrap()),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339(parse_instant("1970-01-01", false).unwrap()),
            "1970-01-01T00:00:00Z"
        );
    }
}
