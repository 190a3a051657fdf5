package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load("", envMap(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Env != EnvDev || c.Schedule.DeclarationLapseAfter != 90*24*time.Hour || len(c.Schedule.DeclarationReminders) != 3 {
		t.Fatalf("got %+v; want dev defaults", c)
	}
	if len(c.Policy.WorksiteTypes) != 8 || len(c.Policy.EMRVendors) != 20 {
		t.Fatalf("got %d types, %d EMRs; want 8, 20", len(c.Policy.WorksiteTypes), len(c.Policy.EMRVendors))
	}
}

func TestLoadFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	yaml := "http:\n  addr: 127.0.0.1:9999\nschedule:\n  declaration_reminders: [1d, 2d]\ncalendar:\n  holidays: [\"2026-12-25\"]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, envMap(map[string]string{
		"CARECONNECT_DATABASE_URL":                     "postgres://u@h/db",
		"CARECONNECT_SCHEDULE_DECLARATION_LAPSE_AFTER": "100d",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.HTTP.Addr != "127.0.0.1:9999" {
		t.Errorf("http.addr = %q; want from file", c.HTTP.Addr)
	}
	if c.Database.URL != "postgres://u@h/db" {
		t.Errorf("database.url = %q; want from env", c.Database.URL)
	}
	if got := c.Schedule.DeclarationReminders; len(got) != 2 || got[1] != 48*time.Hour {
		t.Errorf("reminders = %v; want [24h 48h]", got)
	}
	if c.Schedule.DeclarationLapseAfter != 100*24*time.Hour {
		t.Errorf("lapse = %v; want 100d from env", c.Schedule.DeclarationLapseAfter)
	}
	if len(c.Calendar.Holidays) != 1 {
		t.Errorf("holidays = %v", c.Calendar.Holidays)
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		key  string
	}{
		{"bad env", map[string]string{"CARECONNECT_ENV": "staging"}, "env"},
		{"bad admin address", map[string]string{"CARECONNECT_HTTP_ADMIN_ADDR": "metrics"}, "http.admin_addr"},
		{"bad port", map[string]string{"CARECONNECT_SMTP_PORT": "70000"}, "smtp.port"},
		{"not a number", map[string]string{"CARECONNECT_SMTP_PORT": "abc"}, "port"},
		{"short secret", map[string]string{"CARECONNECT_LINKS_SECRET": "short"}, "links.secret"},
		{"bad db url", map[string]string{"CARECONNECT_DATABASE_URL": "mysql://x"}, "database.url"},
		{"bad holiday", map[string]string{"CARECONNECT_CALENDAR_HOLIDAYS": "2026-13-45"}, "calendar"},
		{"bad tls", map[string]string{"CARECONNECT_SMTP_TLS": "maybe"}, "smtp.tls"},
		{"bad duration", map[string]string{"CARECONNECT_SCHEDULE_DECLARATION_LAPSE_AFTER": "soon"}, "declaration_lapse_after"},
		{"short learninghub secret", map[string]string{"CARECONNECT_LEARNINGHUB_SECRET": "short"}, "learninghub.secret"},
		{"learninghub tolerance", map[string]string{"CARECONNECT_LEARNINGHUB_TOLERANCE": "2h"}, "learninghub.tolerance"},
		{"no course code", map[string]string{"CARECONNECT_LEARNINGHUB_COURSE_CODE": ""}, "learninghub.course_code"},
		{"same codes", map[string]string{"CARECONNECT_LEARNINGHUB_AGREEMENT_CODE": "CC-PRIVACY-COMMUNITY"}, "learninghub.agreement_code"},
		{"no workflow cache", map[string]string{"CARECONNECT_TEMPORAL_WORKFLOW_CACHE_SIZE": "0"}, "temporal.workflow_cache_size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", envMap(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("got %v; want an error naming %q", err, tc.key)
			}
		})
	}
}

func TestProductionRefusesDevDefaults(t *testing.T) {
	good := map[string]string{
		"CARECONNECT_ENV":                          "production",
		"CARECONNECT_LINKS_SECRET":                 strings.Repeat("s", 40),
		"CARECONNECT_SMTP_DEV_CATCHER":             "false",
		"CARECONNECT_SMTP_TLS":                     "starttls",
		"CARECONNECT_DATABASE_URL":                 "postgres://u@db/careconnect",
		"CARECONNECT_TEMPORAL_ADDRESS":             "temporal:7233",
		"CARECONNECT_HTTP_PUBLIC_BASE_URL":         "https://enrol.example.ca",
		"CARECONNECT_AUTH_DEV_IDP_ENABLED":         "false",
		"CARECONNECT_AUTH_APPLICANT_ISSUER":        "https://idtest.gov.bc.ca/oauth2",
		"CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET": strings.Repeat("c", 40),
		"CARECONNECT_LEARNINGHUB_SECRET":           strings.Repeat("l", 40),
	}
	if _, err := Load("", envMap(good)); err != nil {
		t.Fatalf("a complete production config was refused: %v", err)
	}
	for key, devValue := range map[string]string{
		"CARECONNECT_LINKS_SECRET":                 DevLinkSecret,
		"CARECONNECT_SMTP_DEV_CATCHER":             "true",
		"CARECONNECT_DATABASE_URL":                 "",
		"CARECONNECT_TEMPORAL_ADDRESS":             "",
		"CARECONNECT_HTTP_PUBLIC_BASE_URL":         "http://enrol.example.ca",
		"CARECONNECT_AUTH_DEV_IDP_ENABLED":         "true",
		"CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET": DevOIDCClientSecret,
		"CARECONNECT_AUTH_COOKIE_SECURE":           "false",
		"CARECONNECT_LEARNINGHUB_SECRET":           DevLearningHubSecret,
	} {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		env[key] = devValue
		_, err := Load("", envMap(env))
		if !errors.Is(err, ErrDevDefault) {
			t.Errorf("%s=%q: got %v; want ErrDevDefault", key, devValue, err)
		}
	}
}
