package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

func TestEasterSunday(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{1818, "1818-03-22"}, // the earliest possible date
		{1943, "1943-04-25"}, // the latest possible date
		{2000, "2000-04-23"}, // a century year divisible by 400
		{2008, "2008-03-23"}, // early
		{2011, "2011-04-24"},
		{2019, "2019-04-21"},
		{2024, "2024-03-31"}, // the last day of March
		{2025, "2025-04-20"},
		{2026, "2026-04-05"},
		{2027, "2027-03-28"},
		{2028, "2028-04-16"},
		{2029, "2029-04-01"}, // the first day of April
		{2030, "2030-04-21"},
		{2038, "2038-04-25"}, // the latest again
		{2100, "2100-03-28"}, // a century year not divisible by 400
		{2285, "2285-03-22"}, // the earliest again
	}
	for _, tt := range tests {
		got := domain.EasterSunday(tt.year)
		if got.Format(time.DateOnly) != tt.want || got.Weekday() != time.Sunday {
			t.Errorf("EasterSunday(%d) = %s (%s); want %s, a Sunday", tt.year, got.Format(time.DateOnly), got.Weekday(), tt.want)
		}
	}
}

// holidayList writes holidays as "date name" lines, for readable diffs.
func holidayList(hs []domain.Holiday) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Date + " " + h.Name
	}
	return out
}

func TestBCStatutoryHolidays(t *testing.T) {
	tests := []struct {
		year int
		want []string
	}{
		// No holiday falls on a weekend; the Monday holidays' dates as BC publishes them.
		{2025, []string{
			"2025-01-01 New Year's Day",
			"2025-02-17 Family Day",
			"2025-04-18 Good Friday",
			"2025-05-19 Victoria Day",
			"2025-07-01 Canada Day",
			"2025-08-04 British Columbia Day",
			"2025-09-01 Labour Day",
			"2025-09-30 National Day for Truth and Reconciliation",
			"2025-10-13 Thanksgiving Day",
			"2025-11-11 Remembrance Day",
			"2025-12-25 Christmas Day",
		}},
		// 25 May is a Monday: Victoria Day is the Monday before it, 18 May.
		{2026, []string{
			"2026-01-01 New Year's Day",
			"2026-02-16 Family Day",
			"2026-04-03 Good Friday",
			"2026-05-18 Victoria Day",
			"2026-07-01 Canada Day",
			"2026-08-03 British Columbia Day",
			"2026-09-07 Labour Day",
			"2026-09-30 National Day for Truth and Reconciliation",
			"2026-10-12 Thanksgiving Day",
			"2026-11-11 Remembrance Day",
			"2026-12-25 Christmas Day",
		}},
		// Christmas on a Saturday is observed on Monday 27 December;
		// Victoria Day is 24 May (25 May is a Tuesday).
		{2027, []string{
			"2027-01-01 New Year's Day",
			"2027-02-15 Family Day",
			"2027-03-26 Good Friday",
			"2027-05-24 Victoria Day",
			"2027-07-01 Canada Day",
			"2027-08-02 British Columbia Day",
			"2027-09-06 Labour Day",
			"2027-09-30 National Day for Truth and Reconciliation",
			"2027-10-11 Thanksgiving Day",
			"2027-11-11 Remembrance Day",
			"2027-12-25 Christmas Day",
			"2027-12-27 Christmas Day (observed)",
		}},
		// Four holidays on a Saturday, each observed the Monday after;
		// Truth and Reconciliation's Monday (2 October) is not Thanksgiving's (9 October).
		{2028, []string{
			"2028-01-01 New Year's Day",
			"2028-01-03 New Year's Day (observed)",
			"2028-02-21 Family Day",
			"2028-04-14 Good Friday",
			"2028-05-22 Victoria Day",
			"2028-07-01 Canada Day",
			"2028-07-03 Canada Day (observed)",
			"2028-08-07 British Columbia Day",
			"2028-09-04 Labour Day",
			"2028-09-30 National Day for Truth and Reconciliation",
			"2028-10-02 National Day for Truth and Reconciliation (observed)",
			"2028-10-09 Thanksgiving Day",
			"2028-11-11 Remembrance Day",
			"2028-11-13 Remembrance Day (observed)",
			"2028-12-25 Christmas Day",
		}},
		// Before 2023 30 September was no statutory holiday; New Year's Day
		// on a Saturday is observed on Monday 3 January and Christmas on a
		// Sunday on Monday 26 December.
		{2022, []string{
			"2022-01-01 New Year's Day",
			"2022-01-03 New Year's Day (observed)",
			"2022-02-21 Family Day",
			"2022-04-15 Good Friday",
			"2022-05-23 Victoria Day",
			"2022-07-01 Canada Day",
			"2022-08-01 British Columbia Day",
			"2022-09-05 Labour Day",
			"2022-10-10 Thanksgiving Day",
			"2022-11-11 Remembrance Day",
			"2022-12-25 Christmas Day",
			"2022-12-26 Christmas Day (observed)",
		}},
	}
	for _, tt := range tests {
		got := holidayList(domain.BCStatutoryHolidays(tt.year))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("BCStatutoryHolidays(%d):\ngot  %s\nwant %s", tt.year, strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
		}
	}
}

// Every year the rules cover: the Monday holidays fall on Mondays, Good
// Friday on a Friday, and a fixed-date holiday on a weekend is observed on
// the Monday after it; the list is in date order, each date once.
func TestBCStatutoryHolidaysInvariants(t *testing.T) {
	mondays := map[string]bool{"Family Day": true, "Victoria Day": true, "British Columbia Day": true, "Labour Day": true, "Thanksgiving Day": true}
	for year := domain.MinHolidayYear; year <= domain.MaxHolidayYear; year++ {
		hs := domain.BCStatutoryHolidays(year)
		want := 11
		if year < 2023 {
			want-- // Truth and Reconciliation
		}
		if year < 2013 {
			want-- // Family Day
		}
		days := map[string]time.Time{}
		for i, h := range hs {
			d, err := time.Parse(time.DateOnly, h.Date)
			if err != nil || d.Year() != year {
				t.Fatalf("%d: %+v is not a date of the year", year, h)
			}
			if i > 0 && h.Date <= hs[i-1].Date {
				t.Fatalf("%d: %s after %s; want ascending dates, each once", year, h.Date, hs[i-1].Date)
			}
			days[h.Name] = d
		}
		for name, d := range days {
			switch base, observed := strings.CutSuffix(name, " (observed)"); {
			case observed:
				if wd := days[base].Weekday(); d.Weekday() != time.Monday || wd != time.Saturday && wd != time.Sunday || d.Sub(days[base]) > 2*24*time.Hour {
					t.Errorf("%d: %s on %s; want the Monday after %s, a weekend day", year, name, d.Format(time.DateOnly), days[base].Format(time.DateOnly))
				}
			case mondays[name] && d.Weekday() != time.Monday, name == "Good Friday" && d.Weekday() != time.Friday:
				t.Errorf("%d: %s on a %s", year, name, d.Weekday())
			}
		}
		if n := len(hs) - strings.Count(strings.Join(holidayList(hs), "|"), "(observed)"); n != want {
			t.Errorf("%d: %d holidays (observed days aside); want %d: %v", year, n, want, holidayList(hs))
		}
	}
}

func TestStatutoryHolidaysOverYears(t *testing.T) {
	ys := domain.Years{From: 2026, To: 2028}
	bc := domain.StatutoryBC.Holidays(ys)
	if want := len(domain.BCStatutoryHolidays(2026)) + len(domain.BCStatutoryHolidays(2027)) + len(domain.BCStatutoryHolidays(2028)); len(bc) != want {
		t.Errorf("bc over 2026-2028: %d holidays; want %d", len(bc), want)
	}
	if bc[0].Date != "2026-01-01" || bc[len(bc)-1].Date != "2028-12-25" {
		t.Errorf("bc over 2026-2028 runs %s to %s; want 2026-01-01 to 2028-12-25", bc[0].Date, bc[len(bc)-1].Date)
	}
	if got := domain.StatutoryNone.Holidays(ys); len(got) != 0 {
		t.Errorf("none: %v; want no holidays", got)
	}
	for _, s := range []domain.StatutoryHolidays{domain.StatutoryBC, domain.StatutoryNone} {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	if domain.StatutoryHolidays("ab").Valid() {
		t.Error(`"ab".Valid() = true; want false (only BC's are known)`)
	}
}

func TestYearsValidate(t *testing.T) {
	tests := []struct {
		ys   domain.Years
		ok   bool
		note string
	}{
		{domain.Years{From: 2025, To: 2030}, true, "a range"},
		{domain.Years{From: 2026, To: 2026}, true, "one year"},
		{domain.Years{From: 2030, To: 2025}, false, "backwards"},
		{domain.Years{From: 1999, To: 2026}, false, "before the rules"},
		{domain.Years{From: 2026, To: 2200}, false, "after the rules"},
	}
	for _, tt := range tests {
		if err := tt.ys.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: %+v.Validate() = %v; want ok %v", tt.note, tt.ys, err, tt.ok)
		}
	}
}

func TestCalendarNormalizeEqualFingerprint(t *testing.T) {
	a := domain.Calendar{Holidays: []string{"2026-12-25", "2026-07-01", "2026-12-25"}}
	n := a.Normalize()
	if n.TimeZone != domain.DefaultTimeZone || !reflect.DeepEqual(n.Holidays, []string{"2026-07-01", "2026-12-25"}) {
		t.Errorf("Normalize() = %+v; want the default zone and sorted dates, each once", n)
	}
	if err := n.Validate(); err != nil {
		t.Errorf("a normalized calendar: Validate() = %v", err)
	}
	if a.Holidays[0] != "2026-12-25" {
		t.Errorf("Normalize changed its receiver's holidays: %v", a.Holidays)
	}
	same := domain.Calendar{TimeZone: "America/Vancouver", Holidays: []string{"2026-07-01", "2026-12-25"}}
	tests := []struct {
		name  string
		other domain.Calendar
		equal bool
	}{
		{"same days, written otherwise", same, true},
		{"a holiday more", domain.Calendar{Holidays: []string{"2026-07-01", "2026-11-11", "2026-12-25"}}, false},
		{"another zone", domain.Calendar{TimeZone: "America/Toronto", Holidays: same.Holidays}, false},
		{"no holidays", domain.Calendar{}, false},
	}
	for _, tt := range tests {
		if got := a.Equal(tt.other); got != tt.equal {
			t.Errorf("%s: Equal = %v; want %v", tt.name, got, tt.equal)
		}
		if got := a.Fingerprint() == tt.other.Fingerprint(); got != tt.equal {
			t.Errorf("%s: fingerprints equal = %v; want %v", tt.name, got, tt.equal)
		}
	}
	if (domain.Calendar{}).Normalize().Holidays == nil {
		t.Error("Normalize of no holidays gives nil; want an empty list (it is JSON [])")
	}
}

// Holidays must be in ascending order, each once: IsBusinessDay looks
// dates up by halving.
func TestCalendarValidateOrder(t *testing.T) {
	for _, hs := range [][]string{{"2026-12-25", "2026-07-01"}, {"2026-07-01", "2026-07-01"}} {
		if err := (domain.Calendar{Holidays: hs}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "holidays[1]:") {
			t.Errorf("Validate(%v) = %v; want holidays[1] out of order", hs, err)
		}
	}
}

// Over the years the calendar holds, every holiday is found and every
// other weekday is a business day.
func TestCalendarIsBusinessDayManyHolidays(t *testing.T) {
	var dates []string
	for _, h := range domain.StatutoryBC.Holidays(domain.Years{From: 2025, To: 2031}) {
		dates = append(dates, h.Date)
	}
	c := domain.Calendar{Holidays: dates}.Normalize()
	holiday := map[string]bool{}
	for _, d := range c.Holidays {
		holiday[d] = true
	}
	van, err := c.Location()
	if err != nil {
		t.Fatal(err)
	}
	for d := time.Date(2024, 12, 1, 12, 0, 0, 0, van); d.Year() < 2032; d = d.AddDate(0, 0, 1) {
		wd := d.Weekday()
		want := wd != time.Saturday && wd != time.Sunday && !holiday[d.Format(time.DateOnly)]
		if got := c.IsBusinessDay(d); got != want {
			t.Fatalf("IsBusinessDay(%s, a %s) = %v; want %v", d.Format(time.DateOnly), wd, got, want)
		}
	}
}
