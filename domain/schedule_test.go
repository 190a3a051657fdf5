package domain_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

// mustLocation loads an IANA zone or fails the test.
func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"14d", 14 * 24 * time.Hour, false}, // whole days
		{"0d", 0, false},                    // zero days
		{"72h", 72 * time.Hour, false},      // a Go duration
		{"90m", 90 * time.Minute, false},    // minutes
		{"1h30m", 90 * time.Minute, false},  // compound Go duration
		{"-3d", -72 * time.Hour, false},     // parses; Schedule.Validate refuses it
		{"1.5d", 0, true},                   // days must be whole
		{"3d12h", 0, true},                  // days do not combine with other units
		{"14 d", 0, true},                   // no space before the unit
		{"+3d", 0, true},                    // no explicit sign on days
		{"d", 0, true},                      // no number
		{"14", 0, true},                     // no unit
		{"", 0, true},                       // empty
		{"fortnight", 0, true},              // words
	}
	for _, tt := range tests {
		got, err := domain.ParseDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDuration(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestDurationText(t *testing.T) {
	var d domain.Duration
	if err := d.UnmarshalText([]byte("3d")); err != nil {
		t.Fatalf("UnmarshalText(3d) error = %v", err)
	}
	if got, want := time.Duration(d), 72*time.Hour; got != want {
		t.Errorf("UnmarshalText(3d) = %v; want %v", got, want)
	}
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Errorf("UnmarshalText(soon) error = nil; want an error")
	}
	if got, want := time.Duration(d), 72*time.Hour; got != want {
		t.Errorf("after a failed UnmarshalText, d = %v; want it unchanged, %v", got, want)
	}

	// A schedule survives a JSON round trip (workflow inputs are JSON).
	s := domain.DefaultSchedule()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !strings.Contains(string(b), `"declarationReminders":["72h0m0s","168h0m0s","336h0m0s"]`) {
		t.Errorf("Marshal(DefaultSchedule()) = %s; want readable durations", b)
	}
	var back domain.Schedule
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip = %+v; want %+v", back, s)
	}
}

func TestScheduleValidate(t *testing.T) {
	days := func(n int) domain.Duration { return domain.Duration(time.Duration(n) * domain.Day) }
	tests := []struct {
		name   string
		change func(s *domain.Schedule)
		// wantErr is a prefix of the error (the field it names); "" means valid.
		wantErr string
	}{
		// DOMAIN's defaults are valid.
		{"default", func(s *domain.Schedule) {}, ""},
		// No reminders at all is allowed.
		{"no reminders", func(s *domain.Schedule) { s.DeclarationReminders = nil }, ""},
		// A reminder after the stalled flag is allowed (lapse is still last).
		{"reminder after stalled", func(s *domain.Schedule) { s.DeclarationReminders = []domain.Duration{days(3), days(40)} }, ""},
		// The first reminder must be after the start.
		{"zero reminder", func(s *domain.Schedule) { s.DeclarationReminders = []domain.Duration{0, days(7)} }, "declaration_reminders[0]"},
		// A negative reminder is refused.
		{"negative reminder", func(s *domain.Schedule) { s.DeclarationReminders = []domain.Duration{days(-3)} }, "declaration_reminders[0]"},
		// Reminders must increase.
		{"reminders out of order", func(s *domain.Schedule) { s.DeclarationReminders = []domain.Duration{days(7), days(3)} }, "declaration_reminders[1]"},
		// Two reminders at the same time would share nothing but a key clash.
		{"duplicate reminder", func(s *domain.Schedule) { s.DeclarationReminders = []domain.Duration{days(3), days(3)} }, "declaration_reminders[1]"},
		// The stalled flag needs a positive delay.
		{"stalled zero", func(s *domain.Schedule) { s.DeclarationStalledAfter = 0 }, "declaration_stalled_after"},
		// Lapse must follow the stalled flag.
		{"lapse before stalled", func(s *domain.Schedule) { s.DeclarationLapseAfter = days(20) }, "declaration_lapse_after"},
		// Lapse at the stalled time is not after it.
		{"lapse equals stalled", func(s *domain.Schedule) { s.DeclarationLapseAfter = s.DeclarationStalledAfter }, "declaration_lapse_after"},
		// Lapse must follow the last reminder.
		{"lapse before last reminder", func(s *domain.Schedule) { s.DeclarationReminders = []domain.Duration{days(3), days(100)} }, "declaration_lapse_after"},
		// Escalation needs a positive number of business days.
		{"escalate zero", func(s *domain.Schedule) { s.TeamReviewEscalateDays = 0 }, "team_review_breach_business_days"},
		// Breach must come after escalation.
		{"breach equals escalate", func(s *domain.Schedule) { s.TeamReviewBreachDays = s.TeamReviewEscalateDays }, "team_review_breach_business_days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := domain.DefaultSchedule()
			tt.change(&s)
			err := s.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v; want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Validate() = nil; want an error naming %s", tt.wantErr)
			case tt.wantErr != "" && !strings.HasPrefix(err.Error(), tt.wantErr+":"):
				t.Errorf("Validate() = %q; want it to start with %q", err, tt.wantErr+":")
			}
		})
	}
}

func TestCalendarValidateAndLocation(t *testing.T) {
	loc, err := domain.Calendar{}.Location()
	if err != nil || loc.String() != "America/Vancouver" {
		t.Errorf("Calendar{}.Location() = %v, %v; want America/Vancouver, nil", loc, err)
	}
	tests := []struct {
		name    string
		c       domain.Calendar
		wantErr string
	}{
		// The default calendar is valid.
		{"default", domain.Calendar{}, ""},
		// Another zone with holidays is valid.
		{"toronto", domain.Calendar{TimeZone: "America/Toronto", Holidays: []string{"2026-12-25"}}, ""},
		// An unknown zone names the field.
		{"bad zone", domain.Calendar{TimeZone: "Pacific/Nowhere"}, "time_zone:"},
		// A holiday that is not a date names its index.
		{"bad holiday", domain.Calendar{Holidays: []string{"2026-12-25", "Dec 26"}}, "holidays[1]:"},
		// Month 13 is not a date.
		{"month 13", domain.Calendar{Holidays: []string{"2026-13-01"}}, "holidays[0]:"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%s: Validate() = %v; want nil", tt.name, err)
			}
		} else if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
			t.Errorf("%s: Validate() = %v; want an error starting %q", tt.name, err, tt.wantErr)
		}
	}
}

// Dates used below (November 2026, America/Vancouver, PST after DST ended
// on Sunday 1 November): Mon 2, Fri 6, Sat 7, Sun 8, Mon 9, Tue 10,
// Wed 11 (Remembrance Day), Thu 12, Fri 13.

func TestCalendarIsBusinessDay(t *testing.T) {
	van := mustLocation(t, "America/Vancouver")
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, van) }
	holidays := domain.Calendar{Holidays: []string{"2026-11-11"}}
	tests := []struct {
		name string
		c    domain.Calendar
		t    time.Time
		want bool
	}{
		{"monday", domain.Calendar{}, at(2, 9), true},                                                               // a weekday
		{"friday late", domain.Calendar{}, at(6, 23), true},                                                         // still Friday
		{"saturday", domain.Calendar{}, at(7, 9), false},                                                            // weekend
		{"sunday", domain.Calendar{}, at(8, 9), false},                                                              // weekend
		{"holiday", holidays, at(11, 9), false},                                                                     // configured holiday
		{"holiday not configured", domain.Calendar{}, at(11, 9), true},                                              // holidays come only from configuration
		{"day after holiday", holidays, at(12, 0), true},                                                            // holiday is one date
		{"UTC saturday is vancouver friday", domain.Calendar{}, time.Date(2026, 11, 7, 5, 0, 0, 0, time.UTC), true}, // zone decides the date
		{"UTC monday is vancouver sunday", domain.Calendar{}, time.Date(2026, 11, 9, 7, 0, 0, 0, time.UTC), false},  // 23:00 Sunday local
		{"holiday seen in zone", holidays, time.Date(2026, 11, 12, 7, 59, 0, 0, time.UTC), false},                   // 23:59 on the 11th local
	}
	for _, tt := range tests {
		if got := tt.c.IsBusinessDay(tt.t); got != tt.want {
			t.Errorf("%s: IsBusinessDay(%v) = %v; want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestCalendarAddBusinessDays(t *testing.T) {
	van := mustLocation(t, "America/Vancouver")
	at := func(m, d, h int) time.Time { return time.Date(2026, time.Month(m), d, h, 0, 0, 0, van) }
	holidays := domain.Calendar{Holidays: []string{"2026-11-11"}}
	tests := []struct {
		name string
		c    domain.Calendar
		t    time.Time
		n    int
		want time.Time
	}{
		{"zero", domain.Calendar{}, at(11, 2, 9), 0, at(11, 2, 9)},                  // no days added
		{"next day", domain.Calendar{}, at(11, 2, 9), 1, at(11, 3, 9)},              // Mon -> Tue
		{"friday to monday", domain.Calendar{}, at(11, 6, 9), 1, at(11, 9, 9)},      // the weekend is skipped
		{"saturday to monday", domain.Calendar{}, at(11, 7, 9), 1, at(11, 9, 9)},    // starting on a weekend
		{"five from monday", domain.Calendar{}, at(11, 2, 9), 5, at(11, 9, 9)},      // a business week
		{"seven from tuesday", domain.Calendar{}, at(11, 3, 9), 7, at(11, 12, 9)},   // across a weekend
		{"seven with holiday", holidays, at(11, 3, 9), 7, at(11, 13, 9)},            // the holiday is skipped
		{"five from friday with holiday", holidays, at(11, 6, 9), 5, at(11, 16, 9)}, // weekend and holiday
		{"across DST end", domain.Calendar{}, at(10, 30, 9), 1, at(11, 2, 9)},       // same wall clock, 73 hours later
	}
	for _, tt := range tests {
		got := tt.c.AddBusinessDays(tt.t, tt.n)
		if !got.Equal(tt.want) {
			t.Errorf("%s: AddBusinessDays(%v, %d) = %v; want %v", tt.name, tt.t, tt.n, got, tt.want)
		}
	}

	// The result is in the location of the input; the calendar's zone only
	// decides which dates are business days. 21:00 Friday in Vancouver is
	// 05:00 Saturday UTC; one business day later is 21:00 Monday local.
	in := time.Date(2026, 11, 7, 5, 0, 0, 0, time.UTC)
	got := domain.Calendar{}.AddBusinessDays(in, 1)
	if want := time.Date(2026, 11, 10, 5, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("AddBusinessDays(%v, 1) = %v; want %v in UTC", in, got, want)
	}
}

func TestCalendarBusinessDaysBetween(t *testing.T) {
	van := mustLocation(t, "America/Vancouver")
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, van) }
	holidays := domain.Calendar{Holidays: []string{"2026-11-11"}}
	tests := []struct {
		name     string
		c        domain.Calendar
		from, to time.Time
		want     int
	}{
		{"same instant", domain.Calendar{}, at(2, 9, 0), at(2, 9, 0), 0},        // no age
		{"one week", domain.Calendar{}, at(2, 9, 0), at(9, 9, 0), 5},            // Mon -> Mon
		{"friday to monday", domain.Calendar{}, at(6, 9, 0), at(9, 9, 0), 1},    // the weekend does not count
		{"not yet a full day", domain.Calendar{}, at(6, 9, 0), at(9, 8, 59), 0}, // the day counts from from's time of day
		{"holiday", holidays, at(10, 9, 0), at(12, 9, 0), 1},                    // Wed 11 does not count
		{"backwards", domain.Calendar{}, at(9, 9, 0), at(2, 9, 0), 0},           // to before from
	}
	for _, tt := range tests {
		if got := tt.c.BusinessDaysBetween(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: BusinessDaysBetween(%v, %v) = %d; want %d", tt.name, tt.from, tt.to, got, tt.want)
		}
	}

	// BusinessDaysBetween is the inverse of AddBusinessDays: the SLA age
	// reaches n exactly at the instant AddBusinessDays(start, n).
	for _, start := range []time.Time{at(2, 9, 0), at(6, 16, 30), at(7, 10, 0), at(10, 0, 0)} {
		for n := 1; n <= 8; n++ {
			due := holidays.AddBusinessDays(start, n)
			if got := holidays.BusinessDaysBetween(start, due); got != n {
				t.Errorf("BusinessDaysBetween(%v, %v) = %d; want %d", start, due, got, n)
			}
			if got := holidays.BusinessDaysBetween(start, due.Add(-time.Nanosecond)); got != n-1 {
				t.Errorf("BusinessDaysBetween(%v, %v - 1ns) = %d; want %d", start, due, got, n-1)
			}
		}
	}
}

func TestDeclarationMilestones(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, mustLocation(t, "America/Vancouver"))
	day := func(n int) time.Time { return start.Add(time.Duration(n) * domain.Day) }
	tests := []struct {
		name   string
		change func(s *domain.Schedule)
		want   []domain.Milestone
	}{
		// DOMAIN's defaults: reminders at 3, 7, 14 days, stalled at 30, lapse at 90.
		{"default", func(s *domain.Schedule) {}, []domain.Milestone{
			{Kind: domain.MilestoneReminder, At: day(3), Seq: 1},
			{Kind: domain.MilestoneReminder, At: day(7), Seq: 2},
			{Kind: domain.MilestoneReminder, At: day(14), Seq: 3},
			{Kind: domain.MilestoneStalled, At: day(30), Seq: 1},
			{Kind: domain.MilestoneLapse, At: day(90), Seq: 1},
		}},
		// A reminder after the stalled flag is ordered by time but keeps its Seq.
		{"reminder after stalled", func(s *domain.Schedule) {
			s.DeclarationReminders = []domain.Duration{domain.Duration(3 * domain.Day), domain.Duration(40 * domain.Day)}
		}, []domain.Milestone{
			{Kind: domain.MilestoneReminder, At: day(3), Seq: 1},
			{Kind: domain.MilestoneStalled, At: day(30), Seq: 1},
			{Kind: domain.MilestoneReminder, At: day(40), Seq: 2},
			{Kind: domain.MilestoneLapse, At: day(90), Seq: 1},
		}},
		// No reminders: only the flag and the lapse.
		{"no reminders", func(s *domain.Schedule) { s.DeclarationReminders = nil }, []domain.Milestone{
			{Kind: domain.MilestoneStalled, At: day(30), Seq: 1},
			{Kind: domain.MilestoneLapse, At: day(90), Seq: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := domain.DefaultSchedule()
			tt.change(&s)
			got := domain.DeclarationMilestones(start, s)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DeclarationMilestones() = %+v; want %+v", got, tt.want)
			}
			// NextMilestone walks the list and then reports the end.
			for i := range got {
				if m, ok := domain.NextMilestone(got, i); !ok || m != got[i] {
					t.Errorf("NextMilestone(ms, %d) = %+v, %v; want %+v, true", i, m, ok, got[i])
				}
			}
			if m, ok := domain.NextMilestone(got, len(got)); ok {
				t.Errorf("NextMilestone(ms, %d) = %+v, true; want none", len(got), m)
			}
		})
	}
}

func TestTeamReviewMilestones(t *testing.T) {
	van := mustLocation(t, "America/Vancouver")
	at := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, van) }
	tests := []struct {
		name                     string
		start                    time.Time
		c                        domain.Calendar
		wantEscalate, wantBreach time.Time
	}{
		// Signed Tuesday: 5 business days is the next Tuesday, 7 the Thursday after.
		{"tuesday", at(3), domain.Calendar{}, at(10), at(12)},
		// Remembrance Day configured: the breach moves to Friday.
		{"tuesday with holiday", at(3), domain.Calendar{Holidays: []string{"2026-11-11"}}, at(10), at(13)},
		// Signed Friday with the holiday: the weekend and Wednesday are skipped.
		{"friday with holiday", at(6), domain.Calendar{Holidays: []string{"2026-11-11"}}, at(16), at(18)},
	}
	for _, tt := range tests {
		got := domain.TeamReviewMilestones(tt.start, domain.DefaultSchedule(), tt.c)
		want := []domain.Milestone{
			{Kind: domain.MilestoneEscalate, At: tt.wantEscalate, Seq: 1},
			{Kind: domain.MilestoneBreach, At: tt.wantBreach, Seq: 1},
		}
		if len(got) != len(want) {
			t.Errorf("%s: TeamReviewMilestones() = %+v; want %+v", tt.name, got, want)
			continue
		}
		for i := range want {
			if got[i].Kind != want[i].Kind || got[i].Seq != want[i].Seq || !got[i].At.Equal(want[i].At) {
				t.Errorf("%s: milestone %d = %+v; want %+v", tt.name, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkBusinessDaysBetween is the SLA age of one queue item waiting a
// week: the team's queue computes it for every item it lists. The shipped
// calendar has seven years of BC's holidays; one year's, and none, for
// comparison.
func BenchmarkBusinessDaysBetween(b *testing.B) {
	var shipped []string
	for _, h := range domain.StatutoryBC.Holidays(domain.Years{From: 2025, To: 2031}) {
		shipped = append(shipped, h.Date)
	}
	for _, c := range []struct {
		name     string
		holidays []string
	}{
		{"shipped", domain.Calendar{Holidays: shipped}.Normalize().Holidays},
		{"holidays", []string{"2026-01-01", "2026-02-16", "2026-04-03", "2026-05-18", "2026-07-01", "2026-08-03", "2026-09-07",
			"2026-09-30", "2026-10-12", "2026-11-11", "2026-12-25"}},
		{"none", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			cal := domain.Calendar{TimeZone: "America/Vancouver", Holidays: c.holidays}
			from := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
			to := from.AddDate(0, 0, 7)
			for b.Loop() {
				if n := cal.BusinessDaysBetween(from, to); n != 5 {
					b.Fatalf("got %d business days; want 5", n)
				}
			}
		})
	}
}
