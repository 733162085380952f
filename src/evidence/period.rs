//! Audit periods: the span of time a report gives evidence for.
//!
//! `--period` takes a calendar period (`2026-Q3`, `2026-08`, `2026`) or one relative to the
//! as-of instant (`previous-quarter`, `previous-month`, `last-90d`); `--since`/`--until` take
//! dates (whole days in UTC, both ends included) or RFC 3339 times (exact). A period is stored
//! with inclusive start and end instants, to the second, and a label that names it in reports
//! and archive folders: `2026-Q3`, `2026-08`, `2026`, or `2026-07-01_2026-09-29` for any other
//! range. A period lies within the range of dates ([`crate::base::timefmt::FIRST_DAY`] to
//! [`crate::base::timefmt::LAST_DAY`]); one that would reach outside it is an error.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use crate::base::timefmt::{
    self, FIRST_DAY, LAST_DAY, TimeError, end_of_day, rfc3339, start_of_day,
};

/// An inclusive span of time with its label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "--period: `{0}` is not a period: use YYYY-Qn (2026-Q3), YYYY-MM, YYYY, previous-quarter, previous-month or last-Nd (N from 1)"
    )]
    Unknown(String),
    #[error("--period: `{0}` reaches outside the range of dates ({FIRST_DAY} to {LAST_DAY})")]
    OutOfRange(String),
    #[error("{flag}")]
    BadBound {
        flag: &'static str,
        #[source]
        source: TimeError,
    },
    #[error("--since {start} is after --until {end}: the period would end before it starts")]
    Reversed { start: String, end: String },
    #[error("--since and --until go together, and not with --period")]
    Mixed,
}

impl Period {
    /// Does the instant fall within the period (both ends included)?
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t <= self.end
    }

    /// `(start, end)` as RFC 3339 strings, as report.json stores them.
    pub fn bounds(&self) -> (String, String) {
        (rfc3339(self.start), rfc3339(self.end))
    }

    /// Builds a period from the CLI's three options; `as_of` anchors relative periods.
    pub fn from_args(
        period: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        as_of: DateTime<Utc>,
    ) -> Result<Option<Period>, PeriodError> {
        match (period, since, until) {
            (None, None, None) => Ok(None),
            (Some(p), None, None) => parse(p, as_of).map(Some),
            (None, Some(s), Some(u)) => range(s, u).map(Some),
            _ => Err(PeriodError::Mixed),
        }
    }
}

/// Parses a `--period` value.
pub fn parse(input: &str, as_of: DateTime<Utc>) -> Result<Period, PeriodError> {
    let period = parse_unchecked(input, as_of)?;
    if !timefmt::in_range(period.start) || !timefmt::in_range(period.end) {
        return Err(PeriodError::OutOfRange(input.to_string()));
    }
    Ok(period)
}

fn parse_unchecked(input: &str, as_of: DateTime<Utc>) -> Result<Period, PeriodError> {
    let s = input.trim();
    let unknown = || PeriodError::Unknown(input.to_string());
    match s {
        "previous-quarter" => {
            let (mut year, mut q) = (as_of.year(), quarter_of(as_of.month()));
            // The quarter as-of falls in is complete only at its last second.
            let (_, end) = quarter_bounds(year, q);
            if as_of < end {
                (year, q) = if q == 1 { (year - 1, 4) } else { (year, q - 1) };
            }
            return Ok(quarter(year, q));
        }
        "previous-month" => {
            let (mut year, mut month) = (as_of.year(), as_of.month());
            let (_, end) = month_bounds(year, month);
            if as_of < end {
                (year, month) = if month == 1 {
                    (year - 1, 12)
                } else {
                    (year, month - 1)
                };
            }
            return Ok(month_period(year, month));
        }
        _ => {}
    }
    if let Some(days) = s.strip_prefix("last-").and_then(|d| d.strip_suffix('d')) {
        let days: u64 = days.parse().map_err(|_| unknown())?;
        if days < 1 {
            return Err(unknown());
        }
        let end = end_of_day(as_of.date_naive());
        let first = as_of
            .date_naive()
            .checked_sub_days(Days::new(days - 1))
            .ok_or_else(|| PeriodError::OutOfRange(input.to_string()))?;
        return Ok(ranged(start_of_day(first), end));
    }
    if let Some((y, q)) = s.split_once("-Q").or_else(|| s.split_once("-q")) {
        let year = parse_year(y).ok_or_else(unknown)?;
        let q: u32 = q.parse().map_err(|_| unknown())?;
        if !(1..=4).contains(&q) {
            return Err(unknown());
        }
        return Ok(quarter(year, q));
    }
    if let Some((y, m)) = s.split_once('-') {
        let year = parse_year(y).ok_or_else(unknown)?;
        let month: u32 = m.parse().map_err(|_| unknown())?;
        if m.len() != 2 || !(1..=12).contains(&month) {
            return Err(unknown());
        }
        return Ok(month_period(year, month));
    }
    let year = parse_year(s).ok_or_else(unknown)?;
    let start = start_of_day(NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(unknown)?);
    let end = end_of_day(NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(unknown)?);
    Ok(Period {
        start,
        end,
        label: format!("{year:04}"),
    })
}

/// The period a label names (`2026-Q3`, `2026-08`, `2026`, `2026-07-01_2026-09-29`), for
/// ordering archive folders; `None` for anything else, relative keywords included (a folder
/// is never named `previous-quarter`).
pub fn from_label(label: &str) -> Option<Period> {
    if !label.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let period = match label.split_once('_') {
        Some((since, until)) if !since.contains('T') && !until.contains('T') => {
            range(since, until).ok()?
        }
        Some(_) => return None,
        // Calendar periods do not depend on the as-of instant.
        None => parse(label, DateTime::UNIX_EPOCH).ok()?,
    };
    (period.label == label).then_some(period)
}

/// `--since`/`--until`: dates are whole days, RFC 3339 times are exact.
pub fn range(since: &str, until: &str) -> Result<Period, PeriodError> {
    let bound = |flag, input, end| {
        timefmt::parse_instant(input, end).map_err(|source| PeriodError::BadBound { flag, source })
    };
    let start = bound("--since", since, false)?;
    let end = bound("--until", until, true)?;
    if start > end {
        return Err(PeriodError::Reversed {
            start: rfc3339(start),
            end: rfc3339(end),
        });
    }
    Ok(ranged(start, end))
}

/// A range labelled by its first and last dates, unless it is exactly a calendar period.
fn ranged(start: DateTime<Utc>, end: DateTime<Utc>) -> Period {
    let label = format!(
        "{}_{}",
        start.date_naive().format("%Y-%m-%d"),
        end.date_naive().format("%Y-%m-%d")
    );
    Period { start, end, label }
}

fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

fn quarter_of(month: u32) -> u32 {
    (month - 1) / 3 + 1
}

fn quarter_bounds(year: i32, q: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1).expect("valid quarter start");
    let next = first
        .checked_add_months(chrono::Months::new(3))
        .expect("in range");
    (
        start_of_day(first),
        end_of_day(next.pred_opt().expect("in range")),
    )
}

fn quarter(year: i32, q: u32) -> Period {
    let (start, end) = quarter_bounds(year, q);
    Period {
        start,
        end,
        label: format!("{year:04}-Q{q}"),
    }
}

fn month_bounds(year: i32, month: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("in range");
    (
        start_of_day(first),
        end_of_day(next.pred_opt().expect("in range")),
    )
}

fn month_period(year: i32, month: u32) -> Period {
    let (start, end) = month_bounds(year, month);
    Period {
        start,
        end,
        label: format!("{year:04}-{month:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::timefmt::parse_as_of;

    fn p(s: &str, as_of: &str) -> (String, String, String) {
        let period = parse(s, parse_as_of(as_of).unwrap()).unwrap();
        let (a, b) = period.bounds();
        (period.label, a, b)
    }

    #[test]
    fn calendar_periods() {
        let as_of = "2026-11-22";
        assert_eq!(
            p("2026-Q3", as_of),
            (
                "2026-Q3".into(),
                "2026-07-01T00:00:00Z".into(),
                "2026-09-30T23:59:59Z".into()
            )
        );
        assert_eq!(
            p("2024-02", as_of),
            (
                "2024-02".into(),
                "2024-02-01T00:00:00Z".into(),
                "2024-02-29T23:59:59Z".into()
            )
        );
        assert_eq!(
            p("2026", as_of),
            (
                "2026".into(),
                "2026-01-01T00:00:00Z".into(),
                "2026-12-31T23:59:59Z".into()
            )
        );
        assert_eq!(p("2026-Q4", as_of).2, "2026-12-31T23:59:59Z");
        for bad in [
            "2026-Q5", "2026-Q0", "2026-13", "2026-1", "26-Q1", "Q3", "last-0d", "soon", "last--1d",
        ] {
            assert!(parse(bad, Utc::now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn periods_outside_the_range_of_dates_are_errors_not_panics() {
        let as_of = parse_as_of("2026-09-30").unwrap();
        for bad in [
            "last-99999999d",
            "last-18446744073709551615d",
            "last-30000d",
            "0000",
            "1969-Q4",
            "1969-12",
        ] {
            assert!(
                matches!(parse(bad, as_of), Err(PeriodError::OutOfRange(_))),
                "{bad}: {:?}",
                parse(bad, as_of)
            );
        }
        assert_eq!(
            parse("previous-quarter", parse_as_of("1970-02-01").unwrap()),
            Err(PeriodError::OutOfRange("previous-quarter".into()))
        );
        assert_eq!(p("last-20635d", "2026-06-30").1, "1970-01-01T00:00:00Z");
        assert_eq!(p("9999-Q4", "2026-06-30").2, "9999-12-31T23:59:59Z");
        let e = range("2026-01-01", "99999-01-01").unwrap_err();
        assert!(
            matches!(
                e,
                PeriodError::BadBound {
                    flag: "--until",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = range("1960-01-01", "2026-01-01").unwrap_err();
        assert!(
            matches!(
                e,
                PeriodError::BadBound {
                    flag: "--since",
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn relative_periods_are_the_last_complete_ones_before_as_of() {
        assert_eq!(p("previous-quarter", "2026-10-01T06:00:00Z").0, "2026-Q3");
        assert_eq!(p("previous-quarter", "2026-09-30T12:00:00Z").0, "2026-Q2");
        // A date as-of means the end of that day, so the quarter it ends is complete.
        assert_eq!(p("previous-quarter", "2026-09-30").0, "2026-Q3");
        assert_eq!(p("previous-quarter", "2026-02-10").0, "2025-Q4");
        assert_eq!(p("previous-month", "2026-01-05").0, "2025-12");
        assert_eq!(p("previous-month", "2026-08-31").0, "2026-08");
        let (label, start, end) = p("last-90d", "2026-09-29");
        assert_eq!(label, "2026-07-02_2026-09-29");
        assert_eq!(
            (start.as_str(), end.as_str()),
            ("2026-07-02T00:00:00Z", "2026-09-29T23:59:59Z")
        );
    }

    #[test]
    fn since_until_take_whole_days_or_exact_times() {
        let r = range("2026-07-01", "2026-09-29").unwrap();
        assert_eq!(r.label, "2026-07-01_2026-09-29");
        assert_eq!(r.bounds().1, "2026-09-29T23:59:59Z");
        let exact = range("2026-07-01T12:00:00+02:00", "2026-07-02T00:00:00Z").unwrap();
        assert_eq!(exact.bounds().0, "2026-07-01T10:00:00Z");
        assert!(range("2026-09-30", "2026-07-01").is_err());
        assert!(range("yesterday", "2026-07-01").is_err());
        assert!(exact.contains(parse_as_of("2026-07-01T23:00:00Z").unwrap()));
        assert!(!exact.contains(parse_as_of("2026-07-02T00:00:01Z").unwrap()));
    }

    #[test]
    fn labels_read_back_as_their_periods() {
        for label in ["2026-Q3", "2026-08", "2026", "2026-07-01_2026-09-29"] {
            assert_eq!(from_label(label).map(|p| p.label), Some(label.to_string()));
        }
        assert_eq!(
            from_label("2026-Q3").unwrap().bounds().1,
            "2026-09-30T23:59:59Z"
        );
        for other in [
            "previous-quarter",
            "last-90d",
            "lost+found",
            "2026-Q3-old",
            "2026-7",
            "2026-09-30_2026-07-01",
            ".evidencer-partial.2026-Q3.x",
        ] {
            assert_eq!(from_label(other), None, "{other}");
        }
    }

    #[test]
    fn from_args_refuses_mixed_options() {
        let now = Utc::now();
        assert_eq!(Period::from_args(None, None, None, now), Ok(None));
        assert_eq!(
            Period::from_args(Some("2026"), Some("2026-01-01"), None, now),
            Err(PeriodError::Mixed)
        );
        assert_eq!(
            Period::from_args(None, Some("2026-01-01"), None, now),
            Err(PeriodError::Mixed)
        );
    }
}
