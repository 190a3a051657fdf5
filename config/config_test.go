package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
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
		{"bad holiday", map[string]string{"CARECONNECT_CALENDAR_HOLIDAYS": "2026-07-01,2026-13-45"}, "calendar.holidays[1]"},
		{"bad zone", map[string]string{"CARECONNECT_CALENDAR_TIME_ZONE": "Pacific/Nowhere"}, "calendar.time_zone"},
		{"no zone", map[string]string{"CARECONNECT_CALENDAR_TIME_ZONE": ""}, "calendar.time_zone"},
		{"another province", map[string]string{"CARECONNECT_CALENDAR_STATUTORY_HOLIDAYS": "ab"}, "calendar.statutory_holidays"},
		{"years backwards", map[string]string{"CARECONNECT_CALENDAR_YEARS": "2030-2025"}, "calendar.years"},
		{"years not years", map[string]string{"CARECONNECT_CALENDAR_YEARS": "next five"}, "calendar.years"},
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
		"CARECONNECT_CODEC_KEYS":                   "2026a:ZbChwIf3gX3D+UI3HSTm95rZ2Fz+EKGfnVs0eE45Ns8=",
		"CARECONNECT_CODEC_UI_ORIGIN":              "https://temporal.example.ca",
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
		"CARECONNECT_CODEC_KEYS":                   Default().Codec.Keys[0],
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

const (
	codecKeyA = "ZbChwIf3gX3D+UI3HSTm95rZ2Fz+EKGfnVs0eE45Ns8="
	codecKeyB = "/rYA1EQhtBel9b5xhQfCBE4+nzTLcaIFL6koXRca0MM="
	linkKeyA  = "4e1f9b27c3a85d06e7f2a49b1c3d5e7f80a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0"
	linkKeyB  = "b7d1e9a3c5f70248e6a1c3b5d7f9e0a2c4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5"
)

// TestKeyRings: links.secret and learninghub.secret are each a ring of one
// key, DefaultKeyID; links.keys and learninghub.keys (comma-separated in the
// environment) replace them, with an active key.
func TestKeyRings(t *testing.T) {
	c, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	active, keys, err := c.Links.Ring()
	if err != nil || active != DefaultKeyID || len(keys) != 1 || keys[0] != (NamedSecret{ID: DefaultKeyID, Secret: DevLinkSecret}) {
		t.Errorf("default links ring = %q, %v, %v; want links.secret as %q", active, keys, err, DefaultKeyID)
	}
	active, keys, err = c.LearningHub.Ring()
	if err != nil || active != DefaultKeyID || len(keys) != 1 || keys[0].Secret != DevLearningHubSecret {
		t.Errorf("default learninghub ring = %q, %v, %v; want learninghub.secret as %q", active, keys, err, DefaultKeyID)
	}

	c, err = Load("", envMap(map[string]string{
		"CARECONNECT_LINKS_KEYS": "default:" + linkKeyA + ",2026b:" + linkKeyB, "CARECONNECT_LINKS_ACTIVE_KEY": "2026b",
		"CARECONNECT_LEARNINGHUB_KEYS": "lh1:" + linkKeyB, // one key: it is the active one
	}))
	if err != nil {
		t.Fatal(err)
	}
	active, keys, err = c.Links.Ring()
	if err != nil || active != "2026b" || len(keys) != 2 || keys[0] != (NamedSecret{ID: "default", Secret: linkKeyA}) || keys[1].ID != "2026b" {
		t.Errorf("links ring = %q, %v, %v; want default and 2026b, 2026b active", active, keys, err)
	}
	if active, keys, err = c.LearningHub.Ring(); err != nil || active != "lh1" || len(keys) != 1 {
		t.Errorf("learninghub ring = %q, %v, %v; want lh1 alone, active", active, keys, err)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		key  string
	}{
		// A secret of its own next to keys would be silently unused.
		{"secret and keys", map[string]string{"CARECONNECT_LINKS_SECRET": linkKeyA, "CARECONNECT_LINKS_KEYS": "k:" + linkKeyB}, "links.secret"},
		{"two keys, none active", map[string]string{"CARECONNECT_LINKS_KEYS": "a:" + linkKeyA + ",b:" + linkKeyB}, "links.active_key"},
		{"active key not in the ring", map[string]string{"CARECONNECT_LINKS_KEYS": "a:" + linkKeyA, "CARECONNECT_LINKS_ACTIVE_KEY": "b"}, "links.active_key"},
		{"active key without keys", map[string]string{"CARECONNECT_LINKS_ACTIVE_KEY": "b"}, "links.active_key"},
		{"ID twice", map[string]string{"CARECONNECT_LINKS_KEYS": "a:" + linkKeyA + ",a:" + linkKeyB, "CARECONNECT_LINKS_ACTIVE_KEY": "a"}, "links.keys[1]"},
		{"no ID", map[string]string{"CARECONNECT_LEARNINGHUB_KEYS": linkKeyA}, "learninghub.keys[0]"},
		{"ID with a dot", map[string]string{"CARECONNECT_LEARNINGHUB_KEYS": "a.b:" + linkKeyA}, "learninghub.keys[0]"},
		{"short key", map[string]string{"CARECONNECT_LEARNINGHUB_KEYS": "a:short"}, "learninghub.keys[0]"},
	} {
		if _, err := Load("", envMap(tc.env)); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: got %v; want an error naming %s", tc.name, err, tc.key)
		}
	}
}

// TestCodecRing: codec keys come from codec.keys and from files; an empty
// ring means no encryption, refused in production with the dev key.
func TestCodecRing(t *testing.T) {
	c, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	active, keys, err := c.Codec.Ring()
	if err != nil || active != DevCodecKeyID || len(keys) != 1 || string(keys[0].Key) != DevCodecKey || len(DevCodecKey) != CodecKeySize {
		t.Errorf("default codec ring = %q, %+v, %v; want the dev key of %d bytes", active, keys, err, CodecKeySize)
	}
	if got, want := c.CodecUIOrigin(), "http://localhost:8233"; got != want {
		t.Errorf("CodecUIOrigin() = %q; want temporal.ui_url's origin %q", got, want)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "2026b")
	if err := os.WriteFile(file, []byte(codecKeyB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load("", envMap(map[string]string{"CARECONNECT_CODEC_KEYS": "2026a:" + codecKeyA,
		"CARECONNECT_CODEC_KEY_FILES": "2026b:" + file, "CARECONNECT_CODEC_ACTIVE_KEY": "2026b",
		"CARECONNECT_CODEC_UI_ORIGIN": "https://temporal.example.ca"}))
	if err != nil {
		t.Fatal(err)
	}
	active, keys, err = c.Codec.Ring()
	if err != nil || active != "2026b" || len(keys) != 2 || keys[0].ID != "2026a" || keys[1].ID != "2026b" || len(keys[1].Key) != 32 ||
		keys[1].From != "codec.key_files" {
		t.Errorf("codec ring = %q, %+v, %v; want 2026a from codec.keys and 2026b from its file, 2026b active", active, keys, err)
	}
	if got := c.CodecUIOrigin(); got != "https://temporal.example.ca" {
		t.Errorf("CodecUIOrigin() = %q; want codec.ui_origin", got)
	}
	// No keys at all: payloads in clear text, which dev and tests may choose.
	c, err = Load("", envMap(map[string]string{"CARECONNECT_CODEC_KEYS": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if active, keys, err := c.Codec.Ring(); err != nil || active != "" || len(keys) != 0 {
		t.Errorf("empty codec ring = %q, %v, %v; want no keys", active, keys, err)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		key  string
	}{
		{"not base64", map[string]string{"CARECONNECT_CODEC_KEYS": "a:not base64!"}, "codec.keys[0]"},
		{"16 bytes", map[string]string{"CARECONNECT_CODEC_KEYS": "a:MDEyMzQ1Njc4OWFiY2RlZg=="}, "codec.keys[0]"},
		{"no ID", map[string]string{"CARECONNECT_CODEC_KEYS": codecKeyA}, "codec.keys[0]"},
		{"ID twice", map[string]string{"CARECONNECT_CODEC_KEYS": "a:" + codecKeyA + ",a:" + codecKeyB, "CARECONNECT_CODEC_ACTIVE_KEY": "a"}, "codec.keys[1]"},
		{"two keys, none active", map[string]string{"CARECONNECT_CODEC_KEYS": "a:" + codecKeyA + ",b:" + codecKeyB}, "codec.active_key"},
		{"active key unknown", map[string]string{"CARECONNECT_CODEC_ACTIVE_KEY": "b"}, "codec.active_key"},
		{"missing file", map[string]string{"CARECONNECT_CODEC_KEY_FILES": "b:" + filepath.Join(dir, "missing")}, "codec.key_files[0]"},
		{"origin with a path", map[string]string{"CARECONNECT_CODEC_UI_ORIGIN": "https://temporal.example.ca/"}, "codec.ui_origin"},
		{"origin not a URL", map[string]string{"CARECONNECT_CODEC_UI_ORIGIN": "temporal.example.ca"}, "codec.ui_origin"},
	} {
		if _, err := Load("", envMap(tc.env)); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: got %v; want an error naming %s", tc.name, err, tc.key)
		}
	}
}

// TestProductionKeyRings: production applies its rules to every key of
// every ring, refuses payloads in clear text and the dev codec key, and
// wants the Temporal Web UI on a secure origin.
func TestProductionKeyRings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		refused error // nil: accepted
		key     string
	}{
		{"a rotation of links and codec keys", map[string]string{"CARECONNECT_LINKS_SECRET": "",
			"CARECONNECT_LINKS_KEYS": "default:" + linkKeyA + ",2026b:" + linkKeyB, "CARECONNECT_LINKS_ACTIVE_KEY": "2026b",
			"CARECONNECT_CODEC_KEYS": "2026a:" + codecKeyA + ",2026b:" + codecKeyB, "CARECONNECT_CODEC_ACTIVE_KEY": "2026b"}, nil, ""},
		// The dev default secret next to keys is unused, not refused.
		{"keys beside the dev secret", map[string]string{"CARECONNECT_LINKS_SECRET": DevLinkSecret, "CARECONNECT_LINKS_KEYS": "k1:" + linkKeyA}, nil, ""},
		// Every key is held to the entropy rule, not only the active one.
		{"a weak verify key", map[string]string{"CARECONNECT_LINKS_SECRET": "", "CARECONNECT_LINKS_KEYS": "old:" + strings.Repeat("password", 6) + ",new:" + linkKeyB,
			"CARECONNECT_LINKS_ACTIVE_KEY": "new"}, ErrWeakSetting, "links.keys[old]"},
		{"the dev learninghub secret as a verify key", map[string]string{"CARECONNECT_LEARNINGHUB_SECRET": "",
			"CARECONNECT_LEARNINGHUB_KEYS": "old:" + DevLearningHubSecret + ",new:" + linkKeyB, "CARECONNECT_LEARNINGHUB_ACTIVE_KEY": "new"},
			ErrDevDefault, "learninghub.keys[old]"},
		{"a weak codec key", map[string]string{"CARECONNECT_CODEC_KEYS": "k:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, ErrWeakSetting, "codec.keys[k]"},
		{"the dev codec key under another ID", map[string]string{"CARECONNECT_CODEC_KEYS": "k:" + strings.TrimPrefix(Default().Codec.Keys[0], DevCodecKeyID+":")},
			ErrDevDefault, "codec.keys[k]"},
		{"the dev codec key kept to decrypt", map[string]string{"CARECONNECT_CODEC_KEYS": "2026a:" + codecKeyA + "," + Default().Codec.Keys[0],
			"CARECONNECT_CODEC_ACTIVE_KEY": "2026a"}, ErrDevDefault, "codec.keys[dev-only]"},
		// Without keys, histories would hold personal information in clear text.
		{"no codec keys", map[string]string{"CARECONNECT_CODEC_KEYS": ""}, ErrWeakSetting, "codec.keys"},
		{"UI on plain http", map[string]string{"CARECONNECT_CODEC_UI_ORIGIN": "http://temporal.example.ca"}, ErrWeakSetting, "codec.ui_origin"},
		{"UI origin from temporal.ui_url", map[string]string{"CARECONNECT_CODEC_UI_ORIGIN": "", "CARECONNECT_TEMPORAL_UI_URL": "https://temporal.example.ca/namespaces/default"}, nil, ""},
		// Browsers treat loopback http as a secure context.
		{"UI on loopback http", map[string]string{"CARECONNECT_CODEC_UI_ORIGIN": "http://localhost:8233"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := productionEnv()
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := Load("", envMap(env))
			switch {
			case tc.refused == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != nil && (!errors.Is(err, tc.refused) || !strings.Contains(err.Error(), tc.key)):
				t.Fatalf("got %v; want %v naming %s", err, tc.refused, tc.key)
			}
		})
	}
}

// TestListsFromTheEnvironment: every list setting takes a comma list from
// its environment variable, whatever its element type (durations, ints,
// strings); spaces around the commas are dropped.
func TestListsFromTheEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  string
		val  string
		got  func(Config) any
		want any
	}{
		{"durations", "CARECONNECT_SCHEDULE_DECLARATION_REMINDERS", "2m,4m,6m",
			func(c Config) any { return c.Schedule.DeclarationReminders }, []time.Duration{2 * time.Minute, 4 * time.Minute, 6 * time.Minute}},
		{"durations in days, with spaces", "CARECONNECT_SCHEDULE_PASSWORD_REMINDERS_BEFORE", "14d, 7d ,1d",
			func(c Config) any { return c.Schedule.PasswordRemindersBefore }, []time.Duration{14 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}},
		{"one duration", "CARECONNECT_SCHEDULE_APPLICATION_REMINDERS", "3d",
			func(c Config) any { return c.Schedule.ApplicationReminders }, []time.Duration{3 * 24 * time.Hour}},
		{"ints", "CARECONNECT_SCHEDULE_JOIN_REQUEST_REMINDER_BUSINESS_DAYS", "1,2,4",
			func(c Config) any { return c.Schedule.JoinRequestReminderBusinessDays }, []int{1, 2, 4}},
		{"ints with spaces", "CARECONNECT_SCHEDULE_SPONSOR_REMINDER_BUSINESS_DAYS", "3, 6",
			func(c Config) any { return c.Schedule.SponsorReminderBusinessDays }, []int{3, 6}},
		{"strings", "CARECONNECT_CALENDAR_HOLIDAYS", "2026-07-01, 2026-12-25",
			func(c Config) any { return c.Calendar.Holidays }, []string{"2026-07-01", "2026-12-25"}},
		{"empty", "CARECONNECT_CALENDAR_HOLIDAYS", "",
			func(c Config) any { return c.Calendar.Holidays }, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("", envMap(map[string]string{tc.env: tc.val}))
			if err != nil {
				t.Fatalf("%s=%q: %v", tc.env, tc.val, err)
			}
			if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s=%q: got %v; want %v", tc.env, tc.val, got, tc.want)
			}
		})
	}
	// A bad element is named.
	if _, err := Load("", envMap(map[string]string{"CARECONNECT_SCHEDULE_DECLARATION_REMINDERS": "2m,soon"})); err == nil ||
		!strings.Contains(err.Error(), "declaration_reminders") {
		t.Errorf("a bad element: got %v; want an error naming schedule.declaration_reminders", err)
	}
}

// TestDatabasePool: the pool settings load from the environment and are checked.
func TestDatabasePool(t *testing.T) {
	c, err := Load("", envMap(map[string]string{"CARECONNECT_DATABASE_MAX_OPEN_CONNS": "40", "CARECONNECT_DATABASE_MAX_IDLE_CONNS": "10",
		"CARECONNECT_DATABASE_CONN_MAX_LIFETIME": "1h", "CARECONNECT_DATABASE_CONN_MAX_IDLE_TIME": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Database; d.MaxOpenConns != 40 || d.MaxIdleConns != 10 || d.ConnMaxLifetime != time.Hour || d.ConnMaxIdleTime != 2*time.Minute {
		t.Errorf("database = %+v; want 40 open, 10 idle, 1h, 2m", d)
	}
	for _, tc := range []struct {
		env map[string]string
		key string
	}{
		{map[string]string{"CARECONNECT_DATABASE_MAX_OPEN_CONNS": "0"}, "database.max_open_conns"},
		// More idle than open could ever be.
		{map[string]string{"CARECONNECT_DATABASE_MAX_OPEN_CONNS": "5", "CARECONNECT_DATABASE_MAX_IDLE_CONNS": "6"}, "database.max_idle_conns"},
		{map[string]string{"CARECONNECT_DATABASE_CONN_MAX_LIFETIME": "-1m"}, "database.conn_max_lifetime"},
	} {
		if _, err := Load("", envMap(tc.env)); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%v: got %v; want an error naming %s", tc.env, err, tc.key)
		}
	}
}

// TestTemporalConnection: the settings for a secured Temporal load, and
// contradictions are named.
func TestTemporalConnection(t *testing.T) {
	c, err := Load("", envMap(map[string]string{
		"CARECONNECT_TEMPORAL_ADDRESS":         "ns.acct.tmprl.cloud:7233",
		"CARECONNECT_TEMPORAL_TLS_CA_FILE":     "/etc/temporal/ca.crt",
		"CARECONNECT_TEMPORAL_TLS_SERVER_NAME": "frontend.temporal.internal",
		"CARECONNECT_TEMPORAL_TLS_CERT_FILE":   "/etc/temporal/tls.crt",
		"CARECONNECT_TEMPORAL_TLS_KEY_FILE":    "/etc/temporal/tls.key",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if tl := c.Temporal.TLS; tl.CAFile != "/etc/temporal/ca.crt" || tl.ServerName != "frontend.temporal.internal" ||
		tl.CertFile != "/etc/temporal/tls.crt" || tl.KeyFile != "/etc/temporal/tls.key" || !c.Temporal.TLSOn() {
		t.Errorf("temporal.tls = %+v; want the files from the environment, TLS on", tl)
	}
	c, err = Load("", envMap(map[string]string{"CARECONNECT_TEMPORAL_ADDRESS": "eu-west-1.aws.api.temporal.io:7233",
		"CARECONNECT_TEMPORAL_API_KEY_FILE": "/var/run/secrets/temporal/api-key"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.APIKeyFile != "/var/run/secrets/temporal/api-key" || !c.Temporal.TLSOn() {
		t.Errorf("temporal = %+v; want the API key file, which turns TLS on", c.Temporal)
	}
	if c, _ := Load("", envMap(nil)); c.Temporal.TLSOn() {
		t.Error("TLS is on by default; the dev server speaks plain text")
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		key  string
	}{
		{"a certificate without its key", map[string]string{"CARECONNECT_TEMPORAL_ADDRESS": "t:7233", "CARECONNECT_TEMPORAL_TLS_CERT_FILE": "c.pem"},
			"temporal.tls.cert_file"},
		{"a key without its certificate", map[string]string{"CARECONNECT_TEMPORAL_ADDRESS": "t:7233", "CARECONNECT_TEMPORAL_TLS_KEY_FILE": "k.pem"},
			"temporal.tls.cert_file"},
		{"both API key settings", map[string]string{"CARECONNECT_TEMPORAL_ADDRESS": "t:7233", "CARECONNECT_TEMPORAL_API_KEY": "k",
			"CARECONNECT_TEMPORAL_API_KEY_FILE": "k.txt"}, "temporal.api_key"},
		// The dev server (no address) has no TLS.
		{"TLS for the dev server", map[string]string{"CARECONNECT_TEMPORAL_TLS_ENABLED": "true"}, "temporal.tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load("", envMap(tc.env)); err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("got %v; want an error naming %s", err, tc.key)
			}
		})
	}
}

// TestRegisterSearchAttributesDefault: the worker registers search
// attributes by default outside production only; either way the setting
// wins when given, from a file or the environment.
func TestRegisterSearchAttributesDefault(t *testing.T) {
	prod := productionEnv()
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("temporal:\n  register_search_attributes: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for k, v := range m {
			out[k] = v
		}
		out[k] = v
		return out
	}
	for _, tc := range []struct {
		name string
		path string
		env  map[string]string
		want bool
	}{
		{"dev default", "", nil, true},
		{"test default", "", map[string]string{"CARECONNECT_ENV": "test"}, true},
		{"production default", "", prod, false},
		{"production, turned on in the environment", "", with(prod, "CARECONNECT_TEMPORAL_REGISTER_SEARCH_ATTRIBUTES", "true"), true},
		{"production, turned on in the file", file, prod, true},
		{"dev, turned off", "", map[string]string{"CARECONNECT_TEMPORAL_REGISTER_SEARCH_ATTRIBUTES": "false"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.path, envMap(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.Temporal.RegisterSearchAttributes != tc.want {
				t.Errorf("register_search_attributes = %v; want %v", c.Temporal.RegisterSearchAttributes, tc.want)
			}
		})
	}
}

// The shipped calendar is BC's statutory holidays, in Vancouver, over a
// window of years that follows the clock; configured dates add to them,
// and "none" leaves only those.
func TestCalendar(t *testing.T) {
	june2026 := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	c, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Calendar.TimeZone != "America/Vancouver" || c.Calendar.StatutoryHolidays != "bc" || c.Calendar.Years != "" {
		t.Errorf("calendar defaults = %+v; want America/Vancouver, bc, the rolling window", c.Calendar)
	}
	if ys, err := c.Calendar.YearRange(june2026); err != nil || ys != (domain.Years{From: 2025, To: 2031}) {
		t.Errorf("YearRange in June 2026 = %+v, %v; want 2025-2031", ys, err)
	}
	// New Year's Eve in Vancouver is already New Year's Day in UTC: the
	// window moves with the calendar's own zone.
	if ys, _ := c.Calendar.YearRange(time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC)); ys.From != 2025 {
		t.Errorf("YearRange at 21:00 on 31 December 2026 in Vancouver = %+v; want from 2025", ys)
	}
	cal := c.Calendar.DomainCalendarAt(june2026)
	if err := cal.Validate(); err != nil {
		t.Fatalf("default calendar: %v", err)
	}
	var want []string
	for y := 2025; y <= 2031; y++ {
		for _, h := range domain.BCStatutoryHolidays(y) {
			want = append(want, h.Date)
		}
	}
	if !reflect.DeepEqual(cal.Holidays, want) || cal.TimeZone != "America/Vancouver" {
		t.Errorf("default calendar = %+v; want BC's holidays of 2025-2031", cal)
	}
	if !c.Calendar.DomainCalendar().Equal(c.Calendar.DomainCalendarAt(time.Now())) {
		t.Error("DomainCalendar() is not the calendar now")
	}

	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		// A range of years, and a configured date besides (given twice: counted once).
		{"range and extra", map[string]string{"CARECONNECT_CALENDAR_YEARS": "2027 - 2027", "CARECONNECT_CALENDAR_HOLIDAYS": "2027-12-24,2027-12-24"},
			[]string{"2027-01-01", "2027-02-15", "2027-03-26", "2027-05-24", "2027-07-01", "2027-08-02", "2027-09-06",
				"2027-09-30", "2027-10-11", "2027-11-11", "2027-12-24", "2027-12-25", "2027-12-27"}},
		// A configured date that is also a statutory holiday is one holiday.
		{"extra already a holiday", map[string]string{"CARECONNECT_CALENDAR_YEARS": "2027", "CARECONNECT_CALENDAR_HOLIDAYS": "2027-07-01"},
			[]string{"2027-01-01", "2027-02-15", "2027-03-26", "2027-05-24", "2027-07-01", "2027-08-02", "2027-09-06",
				"2027-09-30", "2027-10-11", "2027-11-11", "2027-12-25", "2027-12-27"}},
		// The statutory holidays turned off: only the configured dates.
		{"none", map[string]string{"CARECONNECT_CALENDAR_STATUTORY_HOLIDAYS": "none", "CARECONNECT_CALENDAR_HOLIDAYS": "2026-12-25,2026-07-01"},
			[]string{"2026-07-01", "2026-12-25"}},
		{"none at all", map[string]string{"CARECONNECT_CALENDAR_STATUTORY_HOLIDAYS": "none"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", envMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Calendar.DomainCalendarAt(june2026).Holidays; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("holidays = %v; want %v", got, tt.want)
			}
		})
	}

	// The named list says why each date is a holiday.
	c.Calendar.Years, c.Calendar.Holidays = "2027", []string{"2027-12-24"}
	hs, err := c.Calendar.HolidaysAt(june2026)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(hs); n < 3 || hs[n-3] != (domain.Holiday{Date: "2027-12-24", Name: "calendar.holidays"}) ||
		hs[n-1] != (domain.Holiday{Date: "2027-12-27", Name: "Christmas Day (observed)"}) {
		t.Errorf("HolidaysAt = %+v; want the configured date named by its key, and Christmas observed on the 27th", hs)
	}
}
