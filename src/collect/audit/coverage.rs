//! Coverage: which stretches of time the audit logs account for.
//!
//! Every event read (of any stage, interesting or not) adds its time here: the time it was
//! logged (`stageTimestamp`; for GKE the entry's `timestamp`), since that is when the log
//! was being written. Per file this keeps the first and last time and the spans with no
//! silence longer than the gap threshold; over all files, the set of UTC days with at least
//! one event. [`Coverage::gaps`] compares them with a period: the days with no event at all,
//! and the holes (stretches over the threshold that no file covers). It takes a few bytes a
//! day and a few a span, whatever the size of the logs.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// Microseconds since the Unix epoch, UTC: how times are carried while reading.
pub type Micros = i64;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// The most spans kept for one file: past it, the file's silences are not told apart any
/// more (its last span is stretched), which only hides holes inside a pathological file.
const MAX_SPANS_PER_FILE: usize = 10_000;

/// Parses an RFC 3339 time as the API server and the cloud services write it
/// (`2026-07-01T10:00:00.123456Z`), quickly for that form and through chrono for any other
/// (an offset instead of `Z`). None when it is not a time, or lies outside 1970..=9999.
pub fn parse_time(s: &str) -> Option<Micros> {
    fast_time(s.as_bytes()).or_else(|| {
        let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
        crate::base::timefmt::in_range(t).then(|| t.timestamp_micros())
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` without chrono: this runs for every event.
fn fast_time(b: &[u8]) -> Option<Micros> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &b[19..];
    let mut micros = 0i64;
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        for i in 0..6 {
            micros = micros * 10
                + frac
                    .get(i)
                    .filter(|_| i < digits)
                    .map_or(0, |c| i64::from(c - b'0'));
        }
        rest = &frac[digits..];
    }
    if !matches!(rest, b"Z" | b"z") {
        return None;
    }
    if !(1970..=9999).contains(&year) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Validates the day of the month (leap years included).
    let date = NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?;
    let days = i64::from(
        date.signed_duration_since(crate::base::timefmt::FIRST_DAY)
            .num_days() as i32,
    );
    Some(days * MICROS_PER_DAY + ((hour * 60 + minute) * 60 + second) * MICROS_PER_SECOND + micros)
}

/// The UTC day (days since 1970-01-01) of a time.
pub fn day_of(t: Micros) -> i32 {
    t.div_euclid(MICROS_PER_DAY) as i32
}

pub fn to_datetime(t: Micros) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t).unwrap_or_default()
}

pub fn date_of_day(day: i32) -> NaiveDate {
    crate::base::timefmt::FIRST_DAY + chrono::Days::new(day.max(0) as u64)
}

/// A stretch of time, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What one file accounts for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// The earliest and latest time an event of the file was logged.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Stretches with no silence over the gap threshold, in time order.
    pub spans: Vec<Span>,
}

/// Builds a file's coverage while it is read. Events arrive nearly in time order (the API
/// server writes an event when its stage ends, so a long request's line comes late, but its
/// logged time is the time of writing); a silence is a jump past the latest time seen so
/// far by more than the threshold.
#[derive(Debug)]
pub(super) struct FileTimes {
    gap: Micros,
    first: Option<Micros>,
    last: Option<Micros>,
    spans: Vec<(Micros, Micros)>,
    /// The day of the last event added, so that a run of events on one day touches the set
    /// once.
    last_day: Option<i32>,
    pub(super) days: BTreeSet<i32>,
}

impl FileTimes {
    pub(super) fn new(gap: TimeDelta) -> Self {
        Self {
            gap: gap.num_microseconds().unwrap_or(i64::MAX).max(1),
            first: None,
            last: None,
            spans: Vec::new(),
            last_day: None,
            days: BTreeSet::new(),
        }
    }

    pub(super) fn add(&mut self, t: Micros) {
        let day = day_of(t);
        if self.last_day != Some(day) {
            self.days.insert(day);
            self.last_day = Some(day);
        }
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        let room = self.spans.len() < MAX_SPANS_PER_FILE;
        match self.spans.last_mut() {
            None => self.spans.push((t, t)),
            Some((start, end)) => {
                if t > end.saturating_add(self.gap) && room {
                    self.spans.push((t, t));
                } else if t > *end {
                    *end = t;
                } else if t < *start {
                    // An event older than its span's start (rare: lines written a little out
                    // of order): a span of its own, merged with whatever it is near.
                    if room {
                        self.spans.push((t, t));
                    } else {
                        *start = t;
                    }
                    merge_spans(&mut self.spans, self.gap);
                }
            }
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(super) fn finish(mut self) -> (FileCoverage, BTreeSet<i32>) {
        merge_spans(&mut self.spans, self.gap);
        let coverage = FileCoverage {
            first: self.first.map(to_datetime),
            last: self.last.map(to_datetime),
            spans: self
                .spans
                .iter()
                .map(|&(s, e)| Span {
                    start: to_datetime(s),
                    end: to_datetime(e),
                })
                .collect(),
        };
        (coverage, self.days)
    }
}

/// Sorts spans and merges those that overlap or lie within `gap` of each other.
fn merge_spans(spans: &mut Vec<(Micros, Micros)>, gap: Micros) {
    spans.sort_unstable();
    let mut merged: Vec<(Micros, Micros)> = Vec::with_capacity(spans.len());
    for &(s, e) in spans.iter() {
        match merged.last_mut() {
            Some((_, end)) if s <= end.saturating_add(gap) => *end = (*end).max(e),
            _ => merged.push((s, e)),
        }
    }
    *spans = merged;
}

/// What all the files account for together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// UTC days (days since 1970-01-01) with at least one event.
    days: BTreeSet<i32>,
    /// Each file's spans, with the file's display path.
    spans: Vec<(Span, String)>,
    /// The silence over which a stretch counts as a hole.
    gap: TimeDelta,
}

/// A stretch of a period no file accounts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hole {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The file whose events end where the hole starts (None: the hole opens the period).
    pub after: Option<String>,
    /// The file whose events resume where the hole ends (None: the hole closes the period).
    pub before: Option<String>,
}

/// How a period compares with the logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gaps {
    /// Days of the period (UTC) with no event at all, in order.
    pub missing_days: Vec<NaiveDate>,
    /// Stretches of the period longer than the gap threshold that no file covers.
    pub holes: Vec<Hole>,
}

impl Gaps {
    pub fn is_covered(&self) -> bool {
        self.missing_days.is_empty() && self.holes.is_empty()
    }
}

impl Coverage {
    pub(super) fn new(gap: TimeDelta) -> Self {
        Self {
            gap,
            ..Self::default()
        }
    }

    pub(super) fn add_file(&mut self, display: &str, file: &FileCoverage, days: BTreeSet<i32>) {
        self.days.extend(days);
        self.spans
            .extend(file.spans.iter().map(|s| (*s, display.to_string())));
    }

    /// The UTC days with at least one event, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.days.iter().map(|&d| date_of_day(d))
    }

    pub fn has_day(&self, date: NaiveDate) -> bool {
        let day = date
            .signed_duration_since(crate::base::timefmt::FIRST_DAY)
            .num_days();
        i32::try_from(day).is_ok_and(|d| self.days.contains(&d))
    }

    /// The earliest and latest logged time over all files.
    pub fn range(&self) -> Option<Span> {
        let start = self.spans.iter().map(|(s, _)| s.start).min()?;
        let end = self.spans.iter().map(|(s, _)| s.end).max()?;
        Some(Span { start, end })
    }

    /// The silence over which a stretch of time counts as a hole.
    pub fn gap_threshold(&self) -> TimeDelta {
        self.gap
    }

    /// Compares the logs with the period `[start, end]` (both included): the days of the
    /// period with no event, and the holes longer than the gap threshold between (or
    /// before, or after) the files' spans.
    pub fn gaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Gaps {
        let mut gaps = Gaps::default();
        if end < start {
            return gaps;
        }
        let (first_day, last_day) = (
            day_of(start.timestamp_micros()),
            day_of(end.timestamp_micros()),
        );
        gaps.missing_days = (first_day..=last_day)
            .filter(|d| !self.days.contains(d))
            .map(date_of_day)
            .collect();
        let mut spans: Vec<&(Span, String)> = self
            .spans
            .iter()
            .filter(|(s, _)| s.end >= start && s.start <= end)
            .collect();
        spans.sort_by(|a, b| (a.0.start, a.0.end, &a.1).cmp(&(b.0.start, b.0.end, &b.1)));
        // Walk the spans in order, carrying how far the logs reach and which file reaches it.
        let mut reach = start;
        let mut reached_by: Option<&str> = None;
        for (span, file) in spans {
            if span.start - reach > self.gap {
                gaps.holes.push(Hole {
                    start: reach,
                    end: span.start,
                    after: reached_by.map(str::to_string),
                    before: Some(file.clone()),
                });
            }
            if span.end > reach || reached_by.is_none() {
                reach = reach.max(span.end);
                reached_by = Some(file);
            }
        }
        if end - reach > self.gap {
            gaps.holes.push(Hole {
                start: reach,
                end,
                after: reached_by.map(str::to_string),
                before: None,
            });
        }
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Micros {
        parse_time(s).unwrap()
    }

    fn dt(s: &str) -> DateTime<Utc> {
        to_datetime(t(s))
    }

    #[test]
    fn times_parse_fast_and_through_chrono_alike() {
        for s in [
            "2026-07-01T10:00:00Z",
            "2026-07-01T10:00:00.5Z",
            "2026-07-01T10:00:00.123456Z",
            "2026-07-01T10:00:00.123456789Z",
            "2024-02-29T23:59:59.999999Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
            assert_eq!(fast_time(s.as_bytes()), Some(chrono), "{s}");
        }
        assert_eq!(
            parse_time("2026-07-01T12:00:00+02:00"),
            Some(t("2026-07-01T10:00:00Z"))
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-07-01T25:00:00Z",
            "2026-07-01",
            "1969-12-31T23:59:59Z",
            "2026-07-01T10:00:00.Z",
            "x",
            "",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(
            date_of_day(day_of(t("2026-07-01T23:59:59Z"))).to_string(),
            "2026-07-01"
        );
    }

    #[test]
    fn silences_over_the_threshold_split_a_file_into_spans() {
        let mut f = FileTimes::new(TimeDelta::hours(1));
        for s in [
            "2026-07-01T00:00:00Z",
            "2026-07-01T00:30:00Z",
            // Out of order, within the span: folded in.
            "2026-07-01T00:10:00Z",
            "2026-07-01T03:00:00Z",
            "2026-07-01T03:20:00Z",
        ] {
            f.add(t(s));
        }
        let (cov, days) = f.finish();
        assert_eq!(cov.first, Some(dt("2026-07-01T00:00:00Z")));
        assert_eq!(cov.last, Some(dt("2026-07-01T03:20:00Z")));
        assert_eq!(cov.spans.len(), 2);
        assert_eq!(days.len(), 1);
    }

    /// A file with an event every 30 minutes from `from` to `to`.
    fn steady(from: &str, to: &str) -> (FileCoverage, BTreeSet<i32>) {
        let mut f = FileTimes::new(TimeDelta::hours(1));
        let mut at = t(from);
        while at <= t(to) {
            f.add(at);
            at += 30 * 60 * MICROS_PER_SECOND;
        }
        f.add(t(to));
        f.finish()
    }

    #[test]
    fn gaps_name_missing_days_and_holes_between_files() {
        let mut c = Coverage::new(TimeDelta::hours(1));
        let (fa, da) = steady("2026-07-01T00:00:05Z", "2026-07-01T23:59:00Z");
        c.add_file("a.log", &fa, da);
        // 2026-07-02 is missing; b starts on the 3rd.
        let (fb, db) = steady("2026-07-03T00:00:01Z", "2026-07-03T23:59:59Z");
        c.add_file("b.log", &fb, db);
        let gaps = c.gaps(dt("2026-07-01T00:00:00Z"), dt("2026-07-04T23:59:59Z"));
        assert_eq!(
            gaps.missing_days
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["2026-07-02", "2026-07-04"]
        );
        assert_eq!(gaps.holes.len(), 2, "{gaps:?}");
        assert_eq!(gaps.holes[0].after.as_deref(), Some("a.log"));
        assert_eq!(gaps.holes[0].before.as_deref(), Some("b.log"));
        assert_eq!(gaps.holes[0].start, dt("2026-07-01T23:59:00Z"));
        assert_eq!(gaps.holes[1].after.as_deref(), Some("b.log"));
        assert_eq!(gaps.holes[1].before, None);
        // Within the logs' own range, everything is covered.
        let inner = c.gaps(dt("2026-07-03T00:00:00Z"), dt("2026-07-03T23:59:59Z"));
        assert!(inner.is_covered(), "{inner:?}");
        assert!(c.has_day(NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()));
        // A period before any log is one hole.
        let before = c.gaps(dt("2026-06-01T00:00:00Z"), dt("2026-06-02T00:00:00Z"));
        assert_eq!(before.holes.len(), 1);
        assert_eq!(before.holes[0].after, None);
    }
}
