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

func TestSecurityDefaults(t *testing.T) {
	c, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	// No proxy is trusted unless configured: X-Forwarded-For is ignored.
	if len(c.HTTP.TrustedProxies) != 0 {
		t.Errorf("trusted proxies = %v; want none by default", c.HTTP.TrustedProxies)
	}
	if c.Auth.SessionIdleTimeout != 30*time.Minute || c.Auth.TeamRoleRecheck != 5*time.Minute {
		t.Errorf("idle timeout %v, team role recheck %v; want 30m and 5m", c.Auth.SessionIdleTimeout, c.Auth.TeamRoleRecheck)
	}
	// The webhook's allowance takes LearningHub's bursts (the bench sends
	// 10,000 callbacks from one address at about 250 a second).
	if rl := c.HTTP.RateLimits; rl.Declarations != 30 || rl.Links != 30 || rl.Search != 120 || rl.Webhook < 10000 {
		t.Errorf("rate limits = %+v; want the documented defaults", rl)
	}
	c, err = Load("", envMap(map[string]string{"CARECONNECT_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7,2001:db8::/32"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.HTTP.TrustedProxies; len(got) != 3 || got[0] != "10.0.0.0/8" || got[2] != "2001:db8::/32" {
		t.Errorf("trusted proxies from the environment = %v", got)
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
		// The relay must look for work, claim a batch and hold a claim for a send.
		{"relay never runs", map[string]string{"CARECONNECT_RELAY_INTERVAL": "0s"}, "relay.interval"},
		{"relay batch of none", map[string]string{"CARECONNECT_RELAY_BATCH_SIZE": "0"}, "relay.batch_size"},
		{"relay lease shorter than a send", map[string]string{"CARECONNECT_RELAY_LEASE": "1s"}, "relay.lease"},
		{"relay gives up at once", map[string]string{"CARECONNECT_RELAY_RETRY_FOR": "1s"}, "relay.retry_for"},
		{"bad trusted proxy", map[string]string{"CARECONNECT_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "http.trusted_proxies[1]"},
		{"no search allowance", map[string]string{"CARECONNECT_HTTP_RATE_LIMITS_SEARCH_PER_MINUTE": "0"}, "http.rate_limits.search_per_minute"},
		{"no webhook allowance", map[string]string{"CARECONNECT_HTTP_RATE_LIMITS_WEBHOOK_PER_MINUTE": "0"}, "http.rate_limits.webhook_per_minute"},
		{"idle timeout beyond the lifetime", map[string]string{"CARECONNECT_AUTH_SESSION_TTL": "1h", "CARECONNECT_AUTH_SESSION_IDLE_TIMEOUT": "2h"},
			"auth.session_idle_timeout"},
		{"idle timeout too short", map[string]string{"CARECONNECT_AUTH_SESSION_IDLE_TIMEOUT": "10s"}, "auth.session_idle_timeout"},
		// A revoked team member must lose access within 5 minutes.
		{"team role recheck too slow", map[string]string{"CARECONNECT_AUTH_TEAM_ROLE_RECHECK": "10m"}, "auth.team_role_recheck"},
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

// productionEnv is a complete production configuration that passes validation.
func productionEnv() map[string]string {
	return map[string]string{
		"CARECONNECT_ENV":                          "production",
		"CARECONNECT_LINKS_SECRET":                 "9f3c1a7e5b2d4c6a8e0f1b3d5a7c9e2f4b6d8a0c2e4f6a8b0d2f4a6c8e0b2d4f",
		"CARECONNECT_SMTP_DEV_CATCHER":             "false",
		"CARECONNECT_SMTP_TLS":                     "starttls",
		"CARECONNECT_DATABASE_URL":                 "postgres://u@db/careconnect?sslmode=verify-full",
		"CARECONNECT_TEMPORAL_ADDRESS":             "temporal:7233",
		"CARECONNECT_HTTP_PUBLIC_BASE_URL":         "https://enrol.example.ca",
		"CARECONNECT_AUTH_DEV_IDP_ENABLED":         "false",
		"CARECONNECT_AUTH_APPLICANT_ISSUER":        "https://idtest.gov.bc.ca/oauth2",
		"CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET": strings.Repeat("c", 40),
		"CARECONNECT_LEARNINGHUB_SECRET":           "q7L2vX9kR4mN8pT1wZ5cB3hJ6fD0sG8aY2uE4iO7nK1=",
	}
}

func TestProductionRefusesDevDefaults(t *testing.T) {
	good := productionEnv()
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

// TestProductionRefusesWeakSettings: production refuses plain-text mail,
// a database connection that may go unencrypted, and link or LearningHub
// secrets with less than 32 bytes of entropy; dev and test accept them.
func TestProductionRefusesWeakSettings(t *testing.T) {
	cases := []struct {
		name string
		key  string // the variable set
		val  string
		// refused is whether production refuses it; the error names errKey.
		refused bool
		errKey  string
	}{
		{"smtp in clear text", "CARECONNECT_SMTP_TLS", "none", true, "smtp.tls"},
		{"smtp with implicit TLS", "CARECONNECT_SMTP_TLS", "tls", false, ""},
		{"sslmode=disable", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc?sslmode=disable", true, "database.url"},
		// allow and prefer fall back to plain text when the server (or a
		// man in the middle) declines TLS.
		{"sslmode=allow", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc?sslmode=allow", true, "database.url"},
		{"sslmode=prefer", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc?sslmode=prefer", true, "database.url"},
		// No sslmode is libpq's and pgx's default, prefer.
		{"no sslmode", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc", true, "database.url"},
		{"sslmode in upper case", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc?sslmode=DISABLE", true, "database.url"},
		{"sslmode given twice", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc?sslmode=require&sslmode=disable", true, "database.url"},
		{"sslmode=require", "CARECONNECT_DATABASE_URL", "postgres://u@db/cc?sslmode=require", false, ""},
		{"sslmode=verify-ca", "CARECONNECT_DATABASE_URL", "postgresql://u:p@db:5432/cc?sslmode=verify-ca&sslrootcert=/certs/ca.crt", false, ""},

		// 32 random bytes as hex (openssl rand -hex 32) and as base64 (openssl rand -base64 32).
		{"links secret, 32 bytes hex", "CARECONNECT_LINKS_SECRET", "4e1f9b27c3a85d06e7f2a49b1c3d5e7f80a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0", false, ""},
		{"links secret, 32 bytes base64", "CARECONNECT_LINKS_SECRET", "Zk3p9Q2xLr8vT1mN6bY4cW7hJ0sD5aF2gU8eI3oK9qE=", false, ""},
		// 40 hex characters are only 20 bytes.
		{"links secret, 20 bytes hex", "CARECONNECT_LINKS_SECRET", "4e1f9b27c3a85d06e7f2a49b1c3d5e7f80a2b4c6", true, "links.secret"},
		// 32 characters of base64 are 24 bytes.
		{"links secret, 24 bytes base64", "CARECONNECT_LINKS_SECRET", "Zk3p9Q2xLr8vT1mN6bY4cW7hJ0sD5aF2", true, "links.secret"},
		{"links secret, one character", "CARECONNECT_LINKS_SECRET", strings.Repeat("s", 40), true, "links.secret"},
		{"links secret, a repeated word", "CARECONNECT_LINKS_SECRET", strings.Repeat("password", 6), true, "links.secret"},
		{"links secret, a repeated block of hex", "CARECONNECT_LINKS_SECRET", strings.Repeat("0123456789abcdef", 4), true, "links.secret"},
		{"links secret, a run", "CARECONNECT_LINKS_SECRET", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", true, "links.secret"},
		// Other text counts 6 bits a character: 43 are needed.
		{"links secret, 42 characters of text", "CARECONNECT_LINKS_SECRET", "Tq8#vL2!pX9$mR4&wN7*zK1@cB5^hJ3%fD6(sG0)aY", true, "links.secret"},
		{"links secret, 43 characters of text", "CARECONNECT_LINKS_SECRET", "Tq8#vL2!pX9$mR4&wN7*zK1@cB5^hJ3%fD6(sG0)aYe", false, ""},
		{"links secret, few characters", "CARECONNECT_LINKS_SECRET", "aabbaabbabababbbaaabbbababbaabababbabaabbbaabbaaba", true, "links.secret"},
		{"learninghub secret, one character", "CARECONNECT_LEARNINGHUB_SECRET", strings.Repeat("l", 40), true, "learninghub.secret"},
		{"learninghub secret, 20 bytes hex", "CARECONNECT_LEARNINGHUB_SECRET", "4e1f9b27c3a85d06e7f2a49b1c3d5e7f80a2b4c6", true, "learninghub.secret"},
		{"learninghub secret, a passphrase", "CARECONNECT_LEARNINGHUB_SECRET", "correct-horse-battery-staple-correct-horse", true, "learninghub.secret"},
		{"learninghub secret, 32 bytes hex", "CARECONNECT_LEARNINGHUB_SECRET", "b7d1e9a3c5f70248e6a1c3b5d7f9e0a2c4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := productionEnv()
			env[tc.key] = tc.val
			_, err := Load("", envMap(env))
			switch {
			case !tc.refused && err != nil:
				t.Fatalf("production refused %s=%q: %v", tc.key, tc.val, err)
			case tc.refused && (err == nil || !strings.Contains(err.Error(), tc.errKey)):
				t.Fatalf("production with %s=%q: got %v; want an error naming %s", tc.key, tc.val, err, tc.errKey)
			}
			// Dev and test take what they are given (as long as it is well formed).
			env["CARECONNECT_ENV"] = EnvTest
			if _, err := Load("", envMap(env)); err != nil {
				t.Errorf("test environment refused %s=%q: %v", tc.key, tc.val, err)
			}
		})
	}
}
