package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
	_ "time/tzdata" // business days are counted in Pacific time on every host
)

// Duration is a time.Duration that reads and writes as "72h" in JSON, so
// policies in workflow inputs and configuration stay readable.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it also accepts "3d".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses a Go duration, also accepting a whole number of days ("14d").
func ParseDuration(s string) (time.Duration, error) {
	var days int
	if n, err := fmt.Sscanf(s, "%dd", &days); err == nil && n == 1 && fmt.Sprintf("%dd", days) == s {
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// Day is 24 hours.
const Day = 24 * time.Hour

// Schedule holds every wait's reminder and deadline policy (DOMAIN
// "Reminders, escalation and expiry"). Durations count calendar time from the
// start of the wait; fields named BusinessDays count business days.
type Schedule struct {
	DeclarationReminders    []Duration `json:"declarationReminders"`
	DeclarationStalledAfter Duration   `json:"declarationStalledAfter"`
	DeclarationLapseAfter   Duration   `json:"declarationLapseAfter"`
	TeamReviewEscalateDays  int        `json:"teamReviewEscalateBusinessDays"`
	TeamReviewBreachDays    int        `json:"teamReviewBreachBusinessDays"`
	// PasswordMaxAge is how long a password lasts; reminders go out
	// PasswordRemindersBefore its expiry.
	PasswordMaxAge          Duration   `json:"passwordMaxAge"`
	PasswordRemindersBefore []Duration `json:"passwordRemindersBefore"`
	// JoinRequestReminderDays are business days after a join request at
	// which the administrators are reminded; after the last it is overdue.
	JoinRequestReminderDays []int `json:"joinRequestReminderBusinessDays"`
	// InvitationResendAfter is when an unanswered invitation is sent once
	// more; InvitationExpiresAfter is when it expires.
	InvitationResendAfter  Duration `json:"invitationResendAfter"`
	InvitationExpiresAfter Duration `json:"invitationExpiresAfter"`
	// ApplicationReminders remind an applicant whose course or HPCAA is
	// outstanding; the application lapses at ApplicationLapseAfter.
	ApplicationReminders  []Duration `json:"applicationReminders"`
	ApplicationLapseAfter Duration   `json:"applicationLapseAfter"`
	// SponsorReminderDays are business days after a sponsorship request.
	SponsorReminderDays []int `json:"sponsorReminderBusinessDays"`
	// ResidencyNoticeBefore is when a resident and sponsor hear that access ends.
	ResidencyNoticeBefore Duration `json:"residencyNoticeBefore"`
}

// Applications is the schedule of access applications; the team's SLA is
// the same as for worksite reviews.
func (s Schedule) Applications() ApplicationSchedule {
	return ApplicationSchedule{Reminders: s.ApplicationReminders, LapseAfter: s.ApplicationLapseAfter,
		SponsorReminderDays: s.SponsorReminderDays, EscalateDays: s.TeamReviewEscalateDays, BreachDays: s.TeamReviewBreachDays,
		ResidencyNoticeBefore: s.ResidencyNoticeBefore}
}

// DefaultSchedule is DOMAIN's default reminder schedule.
func DefaultSchedule() Schedule {
	return Schedule{
		DeclarationReminders:    []Duration{Duration(3 * Day), Duration(7 * Day), Duration(14 * Day)},
		DeclarationStalledAfter: Duration(30 * Day),
		DeclarationLapseAfter:   Duration(90 * Day),
		TeamReviewEscalateDays:  5,
		TeamReviewBreachDays:    7,
		PasswordMaxAge:          Duration(90 * Day),
		PasswordRemindersBefore: []Duration{Duration(14 * Day), Duration(3 * Day)},
		JoinRequestReminderDays: []int{2, 5},
		InvitationResendAfter:   Duration(7 * Day),
		InvitationExpiresAfter:  Duration(14 * Day),
		ApplicationReminders:    []Duration{Duration(3 * Day), Duration(7 * Day), Duration(14 * Day)},
		ApplicationLapseAfter:   Duration(60 * Day),
		SponsorReminderDays:     []int{2, 5},
		ResidencyNoticeBefore:   Duration(14 * Day),
	}
}

// Validate reports the first inconsistency in s, naming its field.
func (s Schedule) Validate() error {
	var prev Duration
	for i, r := range s.DeclarationReminders {
		if r <= prev {
			return fmt.Errorf("declaration_reminders[%d]: must be positive and increasing", i)
		}
		prev = r
	}
	if s.DeclarationStalledAfter <= 0 {
		return fmt.Errorf("declaration_stalled_after: must be positive")
	}
	if s.DeclarationLapseAfter <= s.DeclarationStalledAfter || s.DeclarationLapseAfter <= prev {
		return fmt.Errorf("declaration_lapse_after: must come after every reminder and the stalled flag")
	}
	if s.PasswordMaxAge <= 0 {
		return fmt.Errorf("password_max_age: must be positive")
	}
	for i, r := range s.PasswordRemindersBefore {
		if r <= 0 || r >= s.PasswordMaxAge {
			return fmt.Errorf("password_reminders_before[%d]: must be positive and shorter than password_max_age", i)
		}
	}
	prevDay := 0
	for i, d := range s.JoinRequestReminderDays {
		if d <= prevDay {
			return fmt.Errorf("join_request_reminder_business_days[%d]: must be positive and increasing", i)
		}
		prevDay = d
	}
	if s.InvitationExpiresAfter <= 0 || s.InvitationResendAfter <= 0 || s.InvitationResendAfter >= s.InvitationExpiresAfter {
		return fmt.Errorf("invitation_resend_after: must be positive and before invitation_expires_after")
	}
	if s.ApplicationLapseAfter <= 0 {
		return fmt.Errorf("application_lapse_after: must be positive")
	}
	for i, r := range s.ApplicationReminders {
		if r <= 0 || r >= s.ApplicationLapseAfter {
			return fmt.Errorf("application_reminders[%d]: must be positive and before application_lapse_after", i)
		}
	}
	if s.ResidencyNoticeBefore <= 0 {
		return fmt.Errorf("residency_notice_before: must be positive")
	}
	if s.TeamReviewEscalateDays <= 0 || s.TeamReviewBreachDays <= s.TeamReviewEscalateDays {
		return fmt.Errorf("team_review_breach_business_days: must be after team_review_escalate_business_days, both positive")
	}
	return nil
}

// DefaultTimeZone is the zone business days are counted in when a
// calendar names none.
const DefaultTimeZone = "America/Vancouver"

// Calendar says which days are business days.
type Calendar struct {
	// TimeZone is an IANA zone name; empty means DefaultTimeZone.
	TimeZone string `json:"timeZone"`
	// Holidays are dates ("2026-12-25") that are not business days, in
	// ascending order, each once (Normalize; Validate checks it): days
	// are looked up by halving, since a calendar holds several years of
	// statutory holidays and the team's queue counts days for every item.
	Holidays []string `json:"holidays"`
}

// Normalize returns c with its holidays sorted and each date once, and
// its zone named (DefaultTimeZone when empty), so that two calendars
// that count the same days compare Equal and have one Fingerprint.
func (c Calendar) Normalize() Calendar {
	hs := slices.Clone(c.Holidays)
	slices.Sort(hs)
	out := Calendar{TimeZone: c.zone(), Holidays: slices.Compact(hs)}
	if out.Holidays == nil {
		out.Holidays = []string{}
	}
	return out
}

func (c Calendar) zone() string {
	if c.TimeZone == "" {
		return DefaultTimeZone
	}
	return c.TimeZone
}

// Equal reports whether c and o count the same business days: the same
// zone (empty is DefaultTimeZone) and the same holidays.
func (c Calendar) Equal(o Calendar) bool {
	a, b := c.Normalize(), o.Normalize()
	return a.TimeZone == b.TimeZone && slices.Equal(a.Holidays, b.Holidays)
}

// Fingerprint is a short digest of the normalized calendar: equal
// calendars have the same one. The worker stores the fingerprint of the
// calendar it last pushed to the running workflows.
func (c Calendar) Fingerprint() string {
	n := c.Normalize()
	h := sha256.New()
	h.Write([]byte(n.TimeZone))
	for _, d := range n.Holidays {
		h.Write([]byte{'\n'})
		h.Write([]byte(d))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// locations caches loaded zones by name: time.LoadLocation reads and parses
// the zone's data on every call (about 45 µs), and counting business days
// asks once per day counted, per item of the team's queue (docs/bench.md).
// A *time.Location is immutable, so sharing one is safe.
var locations sync.Map

// Location returns the calendar's time zone.
func (c Calendar) Location() (*time.Location, error) {
	tz := c.zone()
	if loc, ok := locations.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time_zone: %w", err)
	}
	locations.Store(tz, loc)
	return loc, nil
}

// Validate checks the zone and every holiday date.
func (c Calendar) Validate() error {
	if _, err := c.Location(); err != nil {
		return err
	}
	for i, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return fmt.Errorf("holidays[%d]: %q is not a YYYY-MM-DD date", i, h)
		}
		if i > 0 && h <= c.Holidays[i-1] {
			return fmt.Errorf("holidays[%d]: %q must come after %q: holidays are in ascending order, each once", i, h, c.Holidays[i-1])
		}
	}
	return nil
}

// IsBusinessDay reports whether t's date, in the calendar's zone, is a weekday and not a holiday.
func (c Calendar) IsBusinessDay(t time.Time) bool {
	loc, err := c.Location()
	if err != nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	if len(c.Holidays) == 0 {
		return true
	}
	// Formatted into an array on the stack: the team's queue counts days
	// of every item on every request (BenchmarkApplicationQueue in api/).
	var buf [len(time.DateOnly) + 8]byte
	d := t.AppendFormat(buf[:0], time.DateOnly)
	// Halving by hand: comparing with string(d) does not allocate.
	lo, hi := 0, len(c.Holidays)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.Holidays[m] < string(d) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo == len(c.Holidays) || c.Holidays[lo] != string(d)
}

// AddBusinessDays returns the instant n business days after t: the same
// wall-clock time on the n-th business day after t's date.
func (c Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	loc, err := c.Location()
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	for added := 0; added < n; {
		local = local.AddDate(0, 0, 1)
		if c.IsBusinessDay(local) {
			added++
		}
	}
	return local.In(t.Location())
}

// BusinessDaysBetween counts the business days that have fully started after
// from's date up to and including to's date: the SLA age of an item.
func (c Calendar) BusinessDaysBetween(from, to time.Time) int {
	loc, err := c.Location()
	if err != nil {
		loc = time.UTC
	}
	f, t := from.In(loc), to.In(loc)
	n := 0
	for d := f.AddDate(0, 0, 1); !d.After(t); d = d.AddDate(0, 0, 1) {
		if c.IsBusinessDay(d) {
			n++
		}
	}
	return n
}

// MilestoneKind is what happens when a wait reaches a milestone.
type MilestoneKind string

// Milestone kinds.
const (
	MilestoneReminder MilestoneKind = "reminder" // remind whoever must act
	MilestoneStalled  MilestoneKind = "stalled"  // flag to the enrolment team
	MilestoneLapse    MilestoneKind = "lapse"    // the wait ends; the enrolment lapses
	MilestoneEscalate MilestoneKind = "escalate" // SLA escalation
	MilestoneBreach   MilestoneKind = "breach"   // SLA breach
)

// Milestone is a point in a wait at which something happens if the wait is still open.
type Milestone struct {
	Kind MilestoneKind `json:"kind"`
	At   time.Time     `json:"at"`
	// Seq numbers reminders 1, 2, 3 within one wait; it is part of each email's idempotency key.
	Seq int `json:"seq"`
}

// DeclarationMilestones lists the milestones of the wait for the worksite
// declaration, which starts at registration.
func DeclarationMilestones(start time.Time, s Schedule) []Milestone {
	var ms []Milestone
	for i, r := range s.DeclarationReminders {
		ms = append(ms, Milestone{Kind: MilestoneReminder, At: start.Add(time.Duration(r)), Seq: i + 1})
	}
	ms = append(ms,
		Milestone{Kind: MilestoneStalled, At: start.Add(time.Duration(s.DeclarationStalledAfter)), Seq: 1},
		Milestone{Kind: MilestoneLapse, At: start.Add(time.Duration(s.DeclarationLapseAfter)), Seq: 1})
	return sortMilestones(ms)
}

// TeamReviewMilestones lists the SLA milestones of a wait for the enrolment team.
func TeamReviewMilestones(start time.Time, s Schedule, c Calendar) []Milestone {
	return sortMilestones([]Milestone{
		{Kind: MilestoneEscalate, At: c.AddBusinessDays(start, s.TeamReviewEscalateDays), Seq: 1},
		{Kind: MilestoneBreach, At: c.AddBusinessDays(start, s.TeamReviewBreachDays), Seq: 1},
	})
}

func sortMilestones(ms []Milestone) []Milestone {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
	return ms
}

// PasswordMilestones lists the milestones of a password's life: a reminder
// PasswordRemindersBefore its expiry (earliest first), then the expiry itself
// as a lapse.
func PasswordMilestones(changedAt time.Time, s Schedule) []Milestone {
	expiry := changedAt.Add(time.Duration(s.PasswordMaxAge))
	var ms []Milestone
	for _, before := range s.PasswordRemindersBefore {
		ms = append(ms, Milestone{Kind: MilestoneReminder, At: expiry.Add(-time.Duration(before))})
	}
	ms = sortMilestones(ms)
	for i := range ms {
		ms[i].Seq = i + 1
	}
	return append(ms, Milestone{Kind: MilestoneLapse, At: expiry, Seq: 1})
}

// NextMilestone returns the first milestone strictly after done, and false when none is left.
func NextMilestone(ms []Milestone, done int) (Milestone, bool) {
	if done >= len(ms) {
		return Milestone{}, false
	}
	return ms[done], true
}
