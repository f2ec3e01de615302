//! Send windows and delays in a campaign's time zone, correct across daylight-saving changes.
//!
//! Local times that do not exist (the hour skipped in spring) resolve to the first instant after
//! the gap; local times that happen twice (the hour repeated in autumn) resolve to the earlier.

use crate::domain::campaign::{CampaignSettings, SendDays};
use crate::domain::workflow::{DelayAmount, DelayStep};
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

/// Where and when a campaign may send: some weekdays, from `start_hour` to `end_hour` local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    days: SendDays,
    start_hour: u8,
    end_hour: u8,
    zone: Tz,
}

/// The UTC instant of a local date and time: the earlier of two when the clock was set back,
/// the first instant after the gap when the clock jumped over it.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(time) => time.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        chrono::LocalResult::None => first_instant_at_or_after(zone, local),
    }
}

/// The first instant whose local time is at or after `local` (which lies in a gap). The
/// transition lies between `local` read with the offset after the gap and with the one before.
fn first_instant_at_or_after(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let offset = |at: NaiveDateTime| {
        Duration::seconds(i64::from(
            zone.offset_from_utc_datetime(&at).fix().local_minus_utc(),
        ))
    };
    // Whole seconds: every zone transition falls on one.
    let local_at = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0)
            .map(|instant| instant.with_timezone(&zone).naive_local())
    };
    let naive = local.and_utc();
    let mut low = (naive - offset(local + Duration::days(1))).timestamp() - 1;
    let mut high = (naive - offset(local - Duration::days(1))).timestamp();
    let bracketed = local_at(low).is_some_and(|time| time < local)
        && local_at(high).is_some_and(|time| time >= local);
    if bracketed {
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if local_at(middle).is_some_and(|time| time >= local) {
                high = middle;
            } else {
                low = middle;
            }
        }
    }
    DateTime::from_timestamp(high, 0).unwrap_or(naive)
}

/// The instant a local date's hour begins; hour 24 is the next day's midnight.
fn local_hour(zone: Tz, date: NaiveDate, hour: u8) -> DateTime<Utc> {
    let (date, hour) = if hour >= 24 {
        (date.succ_opt().unwrap_or(date), 0)
    } else {
        (date, hour)
    };
    let time = NaiveTime::from_hms_opt(u32::from(hour), 0, 0).unwrap_or(NaiveTime::MIN);
    resolve_local(zone, date.and_time(time))
}

impl SendWindow {
    /// A window from validated settings' values; out-of-range hours are clamped so that
    /// `0 <= start < end <= 24`.
    pub fn new(days: &SendDays, start_hour: u8, end_hour: u8, tz: Tz) -> Self {
        let end_hour = end_hour.clamp(1, 24);
        Self {
            days: *days,
            start_hour: start_hour.min(end_hour - 1),
            end_hour,
            zone: tz,
        }
    }

    /// The window of a campaign's settings.
    pub fn from_settings(settings: &CampaignSettings) -> Self {
        Self::new(
            &settings.send_days,
            settings.send_hours_start,
            settings.send_hours_end,
            settings.timezone,
        )
    }

    /// Whether `at` falls on a send day, at a local hour in `[start, end)`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone);
        let hour = u8::try_from(chrono::Timelike::hour(&local)).unwrap_or(u8::MAX);
        self.days.contains(local.weekday()) && (self.start_hour..self.end_hour).contains(&hour)
    }

    /// `at` itself when inside the window, else the next instant the window opens.
    pub fn next_open(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.contains(at) {
            return at;
        }
        let today = at.with_timezone(&self.zone).date_naive();
        // Eight dates always include the same weekday a week later: one of them opens after `at`.
        (0..=7)
            .filter_map(|offset| today.checked_add_days(chrono::Days::new(offset)))
            .filter(|date| self.days.contains(date.weekday()))
            .map(|date| local_hour(self.zone, date, self.start_hour))
            .find(|open| *open > at)
            .unwrap_or(at)
    }

    /// When the window around `at` closes (for an `at` outside the window: when the next window
    /// closes). A window running to midnight into a next send day that starts at midnight is one
    /// window: a 0–24 window on Monday–Friday closes at Saturday 00:00.
    pub fn closes_at(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let opened = self.next_open(at);
        let mut date = opened.with_timezone(&self.zone).date_naive();
        for _ in 0..7 {
            let continues = self.start_hour == 0
                && self.end_hour == 24
                && date
                    .succ_opt()
                    .is_some_and(|next| self.days.contains(next.weekday()));
            if !continues {
                break;
            }
            date = date.succ_opt().unwrap_or(date);
        }
        local_hour(self.zone, date, self.end_hour).max(opened)
    }
}

/// Whether a date is Monday to Friday.
fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// When a delay that starts at `at` is over.
///
/// - Hours: exactly that many elapsed hours (`businessDays` is ignored for hours).
/// - Days: the same local wall-clock time that many calendar days later in `tz`, so a day
///   across a daylight-saving change lasts 23 or 25 hours.
/// - Business days: the same local time on the Nth Monday–Friday date after the start date.
///   Friday + 1 = Monday, Saturday + 1 = Monday, Sunday + 1 = Monday, Friday + 2 = Tuesday.
///
/// A resulting local time that does not exist or is repeated resolves as `resolve_local` does.
pub fn add_delay(at: DateTime<Utc>, delay: &DelayStep, tz: Tz) -> DateTime<Utc> {
    let days = match delay.amount {
        DelayAmount::Hours(hours) => return at + Duration::hours(i64::from(hours)),
        DelayAmount::Days(days) => days,
    };
    let local = at.with_timezone(&tz).naive_local();
    let mut date = local.date();
    if delay.business_days {
        let mut counted = 0;
        while counted < days {
            date = date.succ_opt().unwrap_or(date);
            if is_business_day(date) {
                counted += 1;
            }
        }
    } else {
        date = date
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(date);
    }
    resolve_local(tz, date.and_time(local.time()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Europe::Paris};

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn days(names: &[&str]) -> SendDays {
        SendDays::parse(names).unwrap()
    }

    fn delay(amount: DelayAmount, business_days: bool) -> DelayStep {
        DelayStep {
            amount,
            business_days,
        }
    }

    #[test]
    fn windows_contain_local_hours_on_send_days() {
        let window = SendWindow::new(&SendDays::WEEKDAYS, 9, 17, New_York);
        let cases = [
            ("2026-03-09T13:00:00Z", true, "Monday 09:00 EDT"),
            ("2026-03-09T12:59:59Z", false, "Monday 08:59 EDT"),
            ("2026-03-09T20:59:59Z", true, "Monday 16:59 EDT"),
            ("2026-03-09T21:00:00Z", false, "Monday 17:00 EDT"),
            ("2026-03-06T14:00:00Z", true, "Friday 09:00 EST"),
            ("2026-03-07T15:00:00Z", false, "Saturday"),
            (
                "2026-03-10T02:00:00Z",
                false,
                "Monday 22:00 EDT, Tuesday in UTC",
            ),
        ];
        for (at, inside, reason) in cases {
            assert_eq!(window.contains(utc(at)), inside, "{reason}");
        }
    }

    #[test]
    fn the_next_opening_skips_nights_and_weekends() {
        let window = SendWindow::new(&SendDays::WEEKDAYS, 9, 17, Paris);
        let cases = [
            (
                "2026-01-05T10:00:00Z",
                "2026-01-05T10:00:00Z",
                "inside: unchanged",
            ),
            (
                "2026-01-05T07:00:00Z",
                "2026-01-05T08:00:00Z",
                "Monday before nine",
            ),
            (
                "2026-01-05T16:00:00Z",
                "2026-01-06T08:00:00Z",
                "Monday after five",
            ),
            (
                "2026-01-09T16:30:00Z",
                "2026-01-12T08:00:00Z",
                "Friday evening to Monday",
            ),
            (
                "2026-01-10T12:00:00Z",
                "2026-01-12T08:00:00Z",
                "Saturday to Monday",
            ),
            (
                "2026-03-27T17:00:00Z",
                "2026-03-30T07:00:00Z",
                "Friday to Monday across the spring change",
            ),
        ];
        for (at, expected, reason) in cases {
            assert_eq!(window.next_open(utc(at)), utc(expected), "{reason}");
        }
        let sundays = SendWindow::new(&days(&["sunday"]), 8, 12, Paris);
        assert_eq!(
            sundays.next_open(utc("2026-01-04T11:00:00Z")),
            utc("2026-01-11T07:00:00Z"),
            "after this Sunday's window: a week later"
        );
    }

    #[test]
    fn windows_opening_in_a_daylight_saving_gap_open_when_the_gap_ends() {
        // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        let window = SendWindow::new(&days(&["sunday"]), 2, 5, New_York);
        assert_eq!(
            window.next_open(utc("2026-03-08T01:00:00Z")),
            utc("2026-03-08T07:00:00Z")
        );
        // 2026-11-01 01:00–02:00 happens twice: EDT (05:00 UTC) first, then EST (06:00 UTC).
        let window = SendWindow::new(&days(&["sunday"]), 1, 3, New_York);
        assert_eq!(
            window.next_open(utc("2026-11-01T03:00:00Z")),
            utc("2026-11-01T05:00:00Z")
        );
        assert!(window.contains(utc("2026-11-01T06:30:00Z")), "second 01:30");
        assert_eq!(
            window.closes_at(utc("2026-11-01T06:30:00Z")),
            utc("2026-11-01T08:00:00Z"),
            "03:00 EST"
        );
        // Europe/Paris 2026-03-29 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        let window = SendWindow::new(&days(&["sunday"]), 2, 4, Paris);
        assert_eq!(
            window.next_open(utc("2026-03-28T12:00:00Z")),
            utc("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn windows_close_at_their_end_hour_or_after_a_run_of_whole_days() {
        let window = SendWindow::new(&SendDays::WEEKDAYS, 9, 17, New_York);
        assert_eq!(
            window.closes_at(utc("2026-03-09T14:00:00Z")),
            utc("2026-03-09T21:00:00Z")
        );
        assert_eq!(
            window.closes_at(utc("2026-03-07T14:00:00Z")),
            utc("2026-03-09T21:00:00Z"),
            "outside: the next window's close"
        );
        let whole_days = SendWindow::new(&SendDays::WEEKDAYS, 0, 24, Paris);
        assert_eq!(
            whole_days.closes_at(utc("2026-01-05T10:00:00Z")),
            utc("2026-01-09T23:00:00Z"),
            "Saturday 00:00 CET"
        );
        let evenings = SendWindow::new(&SendDays::EVERY_DAY, 18, 24, Paris);
        assert_eq!(
            evenings.closes_at(utc("2026-01-05T20:00:00Z")),
            utc("2026-01-05T23:00:00Z")
        );
    }

    #[test]
    fn hour_delays_count_elapsed_time_even_across_a_change() {
        let at = utc("2026-03-08T06:00:00Z"); // 01:00 EST
        assert_eq!(
            add_delay(at, &delay(DelayAmount::Hours(2), false), New_York),
            utc("2026-03-08T08:00:00Z")
        );
        let friday_evening = utc("2026-03-07T01:00:00Z"); // Friday 20:00 EST
        assert_eq!(
            add_delay(
                friday_evening,
                &delay(DelayAmount::Hours(5), true),
                New_York
            ),
            utc("2026-03-07T06:00:00Z"),
            "businessDays is ignored for hours"
        );
    }

    #[test]
    fn day_delays_keep_the_local_time_across_changes() {
        let cases = [
            (
                "2026-03-07T14:00:00Z",
                1,
                New_York,
                "2026-03-08T13:00:00Z",
                "spring: 09:00 EST to 09:00 EDT",
            ),
            (
                "2026-10-31T13:00:00Z",
                1,
                New_York,
                "2026-11-01T14:00:00Z",
                "autumn: 09:00 EDT to 09:00 EST",
            ),
            (
                "2026-03-07T07:30:00Z",
                1,
                New_York,
                "2026-03-08T07:00:00Z",
                "02:30 does not exist: 03:00 EDT",
            ),
            (
                "2026-10-31T05:30:00Z",
                1,
                New_York,
                "2026-11-01T05:30:00Z",
                "01:30 twice: the earlier (EDT)",
            ),
            (
                "2026-03-28T09:00:00Z",
                1,
                Paris,
                "2026-03-29T08:00:00Z",
                "Paris spring: 10:00 CET to 10:00 CEST",
            ),
            (
                "2026-10-24T08:00:00Z",
                2,
                Paris,
                "2026-10-26T09:00:00Z",
                "Paris autumn: 10:00 CEST to 10:00 CET",
            ),
            (
                "2026-01-30T12:00:00Z",
                30,
                Tz::UTC,
                "2026-03-01T12:00:00Z",
                "thirty calendar days",
            ),
        ];
        for (at, count, zone, expected, reason) in cases {
            assert_eq!(
                add_delay(utc(at), &delay(DelayAmount::Days(count), false), zone),
                utc(expected),
                "{reason}"
            );
        }
    }

    #[test]
    fn business_days_skip_weekends() {
        // 2026-03-06 is a Friday; New York changes to EDT on Sunday 2026-03-08.
        let cases = [
            (
                "2026-03-05T14:00:00Z",
                1,
                "2026-03-06T14:00:00Z",
                "Thursday + 1 = Friday",
            ),
            (
                "2026-03-06T14:00:00Z",
                1,
                "2026-03-09T13:00:00Z",
                "Friday + 1 = Monday, 09:00 EDT",
            ),
            (
                "2026-03-07T14:00:00Z",
                1,
                "2026-03-09T13:00:00Z",
                "Saturday + 1 = Monday",
            ),
            (
                "2026-03-08T13:00:00Z",
                1,
                "2026-03-09T13:00:00Z",
                "Sunday + 1 = Monday",
            ),
            (
                "2026-03-06T14:00:00Z",
                2,
                "2026-03-10T13:00:00Z",
                "Friday + 2 = Tuesday",
            ),
            (
                "2026-03-04T14:00:00Z",
                5,
                "2026-03-11T13:00:00Z",
                "Wednesday + 5 = next Wednesday",
            ),
            (
                "2026-03-06T14:00:00Z",
                10,
                "2026-03-20T13:00:00Z",
                "two whole weeks",
            ),
        ];
        for (at, count, expected, reason) in cases {
            assert_eq!(
                add_delay(utc(at), &delay(DelayAmount::Days(count), true), New_York),
                utc(expected),
                "{reason}"
            );
        }
    }

    #[test]
    fn gap_resolution_finds_the_exact_transition() {
        let local = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        assert_eq!(resolve_local(New_York, local), utc("2026-03-08T07:00:00Z"));
        let local = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 59, 59)
            .unwrap();
        assert_eq!(resolve_local(Paris, local), utc("2026-03-29T01:00:00Z"));
    }
}
