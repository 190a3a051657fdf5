package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Holiday is a date that is not a business day, and which holiday it is.
type Holiday struct {
	// Date is the date, "2026-07-01".
	Date string `json:"date"`
	// Name says which holiday it is; a day observed for a holiday that
	// fell on a weekend is "Canada Day (observed)".
	Name string `json:"name"`
}

// StatutoryHolidays names a set of statutory holidays a business calendar
// starts from (config calendar.statutory_holidays).
type StatutoryHolidays string

// The sets of statutory holidays.
const (
	// StatutoryBC is British Columbia's (BCStatutoryHolidays).
	StatutoryBC StatutoryHolidays = "bc"
	// StatutoryNone is none: only the configured dates are holidays.
	StatutoryNone StatutoryHolidays = "none"
)

// Years is a range of years, both ends included.
type Years struct{ From, To int }

// MinHolidayYear and MaxHolidayYear bound the years statutory holidays are
// computed for: BC's rules below are written for these years.
const (
	MinHolidayYear = 2000
	MaxHolidayYear = 2199
)

// Validate checks that the range is ordered and within the years holidays
// are computed for.
func (y Years) Validate() error {
	if y.From < MinHolidayYear || y.To > MaxHolidayYear || y.From > y.To {
		return fmt.Errorf("years: want a range of years between %d and %d, the first not after the last; got %d-%d",
			MinHolidayYear, MaxHolidayYear, y.From, y.To)
	}
	return nil
}

// Holidays returns the set's holidays of every year of ys, in date order.
// StatutoryNone (and an unknown set) has none.
func (s StatutoryHolidays) Holidays(ys Years) []Holiday {
	if s != StatutoryBC {
		return nil
	}
	var out []Holiday
	for y := ys.From; y <= ys.To; y++ {
		out = append(out, BCStatutoryHolidays(y)...)
	}
	return out
}

// Valid reports whether s is a known set.
func (s StatutoryHolidays) Valid() bool { return s == StatutoryBC || s == StatutoryNone }

// BCStatutoryHolidays returns British Columbia's statutory holidays of
// year (Employment Standards Act, Part 5), in date order:
//
//   - New Year's Day, 1 January;
//   - Family Day, the third Monday of February (the second from 2013,
//     when it began, to 2018);
//   - Good Friday, two days before Easter Sunday;
//   - Victoria Day, the Monday before 25 May;
//   - Canada Day, 1 July;
//   - British Columbia Day, the first Monday of August;
//   - Labour Day, the first Monday of September;
//   - National Day for Truth and Reconciliation, 30 September (from 2023);
//   - Thanksgiving Day, the second Monday of October;
//   - Remembrance Day, 11 November;
//   - Christmas Day, 25 December.
//
// Easter Monday and Boxing Day are not statutory holidays in BC.
//
// Observed days: the Act does not move a holiday that falls on a weekend
// (an eligible employee is paid for it as for one on a day off, and an
// employer and its employees may agree to substitute another day). The
// enrolment team, like the BC Public Service, is off on the next working
// day instead, so that day is a holiday too, named "(observed)": the next
// weekday that is not already a holiday (Christmas on a Saturday is
// observed on Monday 27 December). The weekend date stays in the list.
func BCStatutoryHolidays(year int) []Holiday {
	date := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	var hs []struct {
		at   time.Time
		name string
		// moves: the date is fixed, so it can fall on a weekend.
		moves bool
	}
	add := func(at time.Time, name string, moves bool) {
		hs = append(hs, struct {
			at    time.Time
			name  string
			moves bool
		}{at, name, moves})
	}
	add(date(time.January, 1), "New Year's Day", true)
	switch {
	case year >= 2019:
		add(nthWeekday(year, time.February, time.Monday, 3), "Family Day", false)
	case year >= 2013:
		add(nthWeekday(year, time.February, time.Monday, 2), "Family Day", false)
	}
	add(EasterSunday(year).AddDate(0, 0, -2), "Good Friday", false)
	add(weekdayBefore(date(time.May, 25), time.Monday), "Victoria Day", false)
	add(date(time.July, 1), "Canada Day", true)
	add(nthWeekday(year, time.August, time.Monday, 1), "British Columbia Day", false)
	add(nthWeekday(year, time.September, time.Monday, 1), "Labour Day", false)
	if year >= 2023 {
		add(date(time.September, 30), "National Day for Truth and Reconciliation", true)
	}
	add(nthWeekday(year, time.October, time.Monday, 2), "Thanksgiving Day", false)
	add(date(time.November, 11), "Remembrance Day", true)
	add(date(time.December, 25), "Christmas Day", true)

	taken := map[time.Time]bool{}
	for _, h := range hs {
		taken[h.at] = true
	}
	var out []Holiday
	for _, h := range hs {
		out = append(out, Holiday{Date: h.at.Format(time.DateOnly), Name: h.name})
		if !h.moves || !weekend(h.at) {
			continue
		}
		obs := h.at
		for weekend(obs) || taken[obs] {
			obs = obs.AddDate(0, 0, 1)
		}
		taken[obs] = true
		out = append(out, Holiday{Date: obs.Format(time.DateOnly), Name: h.name + " (observed)"})
	}
	sortHolidays(out)
	return out
}

// EasterSunday returns the date of Easter Sunday of year (Gregorian
// calendar, as Western churches reckon it), at midnight UTC. It is the
// anonymous Gregorian computus (Meeus/Jones/Butcher).
func EasterSunday(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// nthWeekday is the n-th (1-based) weekday wd of month m of year.
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) time.Time {
	first := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC)
	offset := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, offset+7*(n-1))
}

// weekdayBefore is the last weekday wd strictly before t.
func weekdayBefore(t time.Time, wd time.Weekday) time.Time {
	back := (int(t.Weekday()) - int(wd) + 7) % 7
	if back == 0 {
		back = 7
	}
	return t.AddDate(0, 0, -back)
}

func weekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// sortHolidays sorts hs by date, keeping the order of one date's entries.
func sortHolidays(hs []Holiday) {
	slices.SortStableFunc(hs, func(a, b Holiday) int { return strings.Compare(a.Date, b.Date) })
}
