//! Billing periods: calendar months in UTC. The monthly grant lands at a period's start, usage is
//! counted per period, and budgets and alerts hold for one period.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use quarry_ports::clock::Timestamp;

/// One calendar month (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// The period `at` falls in.
    pub fn of(at: Timestamp) -> Period {
        Period { year: at.0.year(), month: at.0.month() }
    }

    /// The first day of the period.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a month's first day exists")
    }

    /// The period's first instant.
    pub fn start(self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.first_day().and_hms_opt(0, 0, 0).expect("midnight exists"))
    }

    /// The first instant of the next period (when this one's allowance resets).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// The period's last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a month has a last day")
    }

    pub fn next(self) -> Period {
        if self.month == 12 {
            Period { year: self.year + 1, month: 1 }
        } else {
            Period { year: self.year, month: self.month + 1 }
        }
    }

    pub fn previous(self) -> Period {
        if self.month == 1 {
            Period { year: self.year - 1, month: 12 }
        } else {
            Period { year: self.year, month: self.month - 1 }
        }
    }

    /// `2026-12`: how the period is named in keys and in ledger entries.
    pub fn label(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_months() {
        let at = Timestamp::parse("2026-12-31T23:59:59.999Z").unwrap();
        let p = Period::of(at);
        assert_eq!(p.label(), "2026-12");
        assert_eq!(p.next().label(), "2027-01");
        assert_eq!(p.next().previous(), p);
        assert_eq!(p.last_day().to_string(), "2026-12-31");
        assert_eq!(Timestamp(p.end()).to_string(), "2027-01-01T00:00:00.000Z");
        assert_eq!(Period::of(Timestamp(p.end())), p.next());
        assert_eq!(Period::of(Timestamp::parse("2028-02-10T00:00:00Z").unwrap()).last_day().to_string(), "2028-02-29");
    }
}
