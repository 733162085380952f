//! Instants and dates as the CLI takes them and reports print them.
//!
//! A date given alone (`2026-09-30`) means the whole of that day in UTC: as an `--as-of`
//! instant it is the day's last second, so "supported as of 2026-09-30" includes that day.
//! RFC 3339 times are taken exactly. Reports print instants as RFC 3339 in UTC, to the second.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-09-30T12:00:00Z)")]
pub struct TimeError {
    pub input: String,
}

/// Parses an `--as-of` value.
pub fn parse_as_of(input: &str) -> Result<DateTime<Utc>, TimeError> {
    let s = input.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(end_of_day(date));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| TimeError {
            input: input.to_string(),
        })
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
}
