package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/store"
)

// `careconnect calendar show` lists every holiday with its weekday and why,
// and says whether the calendar last pushed is the configured one.
func TestCalendarShow(t *testing.T) {
	cfg := config.Default()
	cfg.Database.SQLitePath = filepath.Join(t.TempDir(), "careconnect.db")
	cfg.Calendar.Years, cfg.Calendar.Holidays = "2027", []string{"2027-12-24"}
	ctx := context.Background()
	st, err := store.Open(ctx, "", cfg.Database.SQLitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	if err := showCalendar(ctx, cfg, &out, now); err != nil {
		t.Fatal(err)
	}
	fingerprint := cfg.Calendar.DomainCalendarAt(now).Fingerprint()
	for _, want := range []string{"time zone          America/Vancouver", "statutory holidays bc, 2027-2027", "fingerprint        " + fingerprint,
		"2027-03-26 Fri  Good Friday", "2027-12-24 Fri  calendar.holidays", "2027-12-27 Mon  Christmas Day (observed)", "last pushed        never"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	if err := st.SaveCalendarPush(ctx, store.CalendarPush{TaskQueue: cfg.Temporal.TaskQueue, Fingerprint: "0123456789abcdef", Workflows: 7, PushedAt: now}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := showCalendar(ctx, cfg, &out, now); err != nil {
		t.Fatal(err)
	}
	if want := "0123456789abcdef to 7 running enrolments at 2026-06-01T12:00:00Z (differs: the next worker start pushes the configured one)"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}
