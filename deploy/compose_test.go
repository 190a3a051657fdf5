package deploy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"careconnect/config"
	"careconnect/devtemporal"
)

const composeFile = "../docker-compose.yml"

// Secrets the test supplies; they must reach the services only through
// interpolation from the environment.
var testEnv = map[string]string{
	"POSTGRES_PASSWORD":                        "pgpw-from-env-3f9c1a",
	"CARECONNECT_LINKS_SECRET":                 "6c1e9f4a2b7d3e8c5a0f9b1d4e7a2c6f8b3d0e5a9c1f7b2e4d8a6c0f3b9e5d1a",
	"CARECONNECT_AUTH_APPLICANT_ISSUER":        "https://bcsc-issuer-from-env.example.ca/oauth2",
	"CARECONNECT_AUTH_APPLICANT_CLIENT_ID":     "careconnect-enrolment",
	"CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET": "bcsc-client-secret-from-env-0123456789",
	"CARECONNECT_LEARNINGHUB_SECRET":           "Xk2mQ9vL4pR7tN1wZ8cB5hJ3fD6sG0aY2uE7iO4nK9W=",
	"CARECONNECT_CODEC_KEYS":                   "2026a:ZbChwIf3gX3D+UI3HSTm95rZ2Fz+EKGfnVs0eE45Ns8=",
}

func envList(m map[string]string, without ...string) []string {
	var out []string
	for k, v := range m {
		if !slices.Contains(without, k) {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// load loads docker-compose.yml with exactly env (no OS environment, no .env file).
func load(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithEnv(env),
		cli.WithName("careconnect"),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func mustLoad(t *testing.T) *types.Project {
	t.Helper()
	p, err := load(t, envList(testEnv))
	if err != nil {
		t.Fatalf("loading %s: %v", composeFile, err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %q: %v", name, err)
	}
	return s
}

func env(s types.ServiceConfig) map[string]string {
	m := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

func TestServices(t *testing.T) {
	p := mustLoad(t)
	want := []string{"api", "certs", "mailcatcher", "migrate", "postgres", "temporal", "temporal-ui", "worker"}
	got := p.ServiceNames()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
	for _, name := range []string{"migrate", "api", "worker"} {
		s := service(t, p, name)
		if s.Build == nil || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s: want build from the repository's Dockerfile, got %+v", name, s.Build)
		}
		if !strings.HasPrefix(s.Image, "careconnect:") {
			t.Errorf("%s: image = %q, want careconnect:<tag>", name, s.Image)
		}
		if len(s.Command) != 1 || s.Command[0] != name {
			t.Errorf("%s: command = %q, want [%q]", name, s.Command, name)
		}
	}
	if r := service(t, p, "migrate").Restart; r != "no" {
		t.Errorf("migrate: restart = %q, want \"no\"", r)
	}
	if img := service(t, p, "postgres").Image; !strings.HasPrefix(img, "postgres:16") {
		t.Errorf("postgres image = %q, want postgres:16", img)
	}
	if img := service(t, p, "temporal").Image; !strings.HasPrefix(img, "temporalio/auto-setup:") {
		t.Errorf("temporal image = %q, want temporalio/auto-setup", img)
	}
	if img := service(t, p, "temporal-ui").Image; !strings.HasPrefix(img, "temporalio/ui:") {
		t.Errorf("temporal-ui image = %q", img)
	}
	if img := service(t, p, "mailcatcher").Image; !strings.HasPrefix(img, "axllent/mailpit") {
		t.Errorf("mailcatcher image = %q, want axllent/mailpit", img)
	}

	pg := service(t, p, "postgres")
	if pg.HealthCheck == nil || len(pg.HealthCheck.Test) == 0 || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres: want a pg_isready healthcheck, got %+v", pg.HealthCheck)
	}
	if len(pg.Volumes) == 0 || pg.Volumes[0].Target != "/var/lib/postgresql/data" || pg.Volumes[0].Type != types.VolumeTypeVolume {
		t.Errorf("postgres: want a named volume on /var/lib/postgresql/data, got %+v", pg.Volumes)
	}
	if e := env(pg); e["POSTGRES_PASSWORD"] != testEnv["POSTGRES_PASSWORD"] || e["POSTGRES_USER"] != "careconnect" || e["POSTGRES_DB"] != "careconnect" {
		t.Errorf("postgres env = %v", e)
	}
	te := env(service(t, p, "temporal"))
	if te["DB"] != "postgres12" || te["POSTGRES_SEEDS"] != "postgres" || te["POSTGRES_PWD"] != testEnv["POSTGRES_PASSWORD"] {
		t.Errorf("temporal env = %v, want DB=postgres12 POSTGRES_SEEDS=postgres and the password from the environment", te)
	}
	if a := env(service(t, p, "temporal-ui"))["TEMPORAL_ADDRESS"]; a != "temporal:7233" {
		t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q", a)
	}
}

func TestPorts(t *testing.T) {
	p := mustLoad(t)
	type port struct {
		published string
		target    uint32
	}
	want := map[string][]port{
		"api":         {{"8080", 8080}},
		"temporal-ui": {{"8233", 8080}},
		"mailcatcher": {{"1025", 1025}, {"8025", 8025}},
	}
	for name, ports := range want {
		var got []port
		for _, pc := range service(t, p, name).Ports {
			got = append(got, port{pc.Published, pc.Target})
		}
		if !slices.Equal(got, ports) {
			t.Errorf("%s ports = %v, want %v", name, got, ports)
		}
	}
	for _, name := range []string{"certs", "postgres", "temporal", "worker", "migrate"} {
		if ps := service(t, p, name).Ports; len(ps) != 0 {
			t.Errorf("%s publishes ports %v; only api, temporal-ui and mailcatcher should", name, ps)
		}
	}
}

func TestAppWiring(t *testing.T) {
	p := mustLoad(t)
	for _, name := range []string{"api", "worker", "migrate"} {
		e := env(service(t, p, name))
		u, err := url.Parse(e["CARECONNECT_DATABASE_URL"])
		if err != nil {
			t.Fatalf("%s: CARECONNECT_DATABASE_URL: %v", name, err)
		}
		pw, _ := u.User.Password()
		if u.Scheme != "postgres" || u.Hostname() != "postgres" || u.Port() != "5432" || u.Path != "/careconnect" ||
			u.User.Username() != "careconnect" || pw != testEnv["POSTGRES_PASSWORD"] {
			t.Errorf("%s: CARECONNECT_DATABASE_URL = %q, want postgres://careconnect:<POSTGRES_PASSWORD>@postgres:5432/careconnect", name, u.Redacted())
		}
		// The database connection is encrypted and the server's certificate checked.
		if q := u.Query(); q.Get("sslmode") != "verify-full" || q.Get("sslrootcert") != "/certs/ca.crt" {
			t.Errorf("%s: CARECONNECT_DATABASE_URL query = %q, want sslmode=verify-full&sslrootcert=/certs/ca.crt", name, u.RawQuery)
		}
		checks := map[string]string{
			"CARECONNECT_ENV":                          "production",
			"CARECONNECT_TEMPORAL_ADDRESS":             "temporal:7233",
			"CARECONNECT_SMTP_HOST":                    "mailcatcher",
			"CARECONNECT_SMTP_PORT":                    "1025",
			"CARECONNECT_SMTP_TLS":                     "starttls",
			"CARECONNECT_SMTP_CA_FILE":                 "/certs/ca.crt",
			"CARECONNECT_SMTP_DEV_CATCHER":             "false",
			"CARECONNECT_LINKS_SECRET":                 testEnv["CARECONNECT_LINKS_SECRET"],
			"CARECONNECT_AUTH_DEV_IDP_ENABLED":         "false",
			"CARECONNECT_AUTH_APPLICANT_ISSUER":        testEnv["CARECONNECT_AUTH_APPLICANT_ISSUER"],
			"CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET": testEnv["CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET"],
			"CARECONNECT_HTTP_PUBLIC_BASE_URL":         "https://localhost:8080",
		}
		for k, want := range checks {
			if e[k] != want {
				t.Errorf("%s: %s = %q, want %q", name, k, e[k], want)
			}
		}
	}
	if a := env(service(t, p, "api"))["CARECONNECT_HTTP_ADDR"]; a != "0.0.0.0:8080" {
		t.Errorf("api: CARECONNECT_HTTP_ADDR = %q, want 0.0.0.0:8080", a)
	}
	// The admin listener (/metrics) listens on the compose network; TestPorts checks it is not published.
	if a := env(service(t, p, "api"))["CARECONNECT_HTTP_ADMIN_ADDR"]; a != "0.0.0.0:9091" {
		t.Errorf("api: CARECONNECT_HTTP_ADMIN_ADDR = %q, want 0.0.0.0:9091", a)
	}

	// The public base URL is overridable.
	over := envList(testEnv)
	over = append(over, "CARECONNECT_PUBLIC_BASE_URL=https://careconnect.example.ca")
	p2, err := load(t, over)
	if err != nil {
		t.Fatal(err)
	}
	if u := env(service(t, p2, "api"))["CARECONNECT_HTTP_PUBLIC_BASE_URL"]; u != "https://careconnect.example.ca" {
		t.Errorf("CARECONNECT_PUBLIC_BASE_URL did not reach the api: %q", u)
	}
}

// TestConfigAgrees feeds each app service's environment to config.Load: the
// compose file and the config package must agree on key names and values,
// and the result must pass production validation.
func TestConfigAgrees(t *testing.T) {
	p := mustLoad(t)
	for _, name := range []string{"api", "worker", "migrate"} {
		e := env(service(t, p, name))
		for k := range e {
			if !strings.HasPrefix(k, config.EnvPrefix+"_") {
				t.Errorf("%s: unexpected non-CARECONNECT variable %s", name, k)
			}
		}
		used := map[string]bool{}
		c, err := config.Load("", func(k string) (string, bool) {
			v, ok := e[k]
			if ok {
				used[k] = true
			}
			return v, ok
		})
		if err != nil {
			t.Fatalf("%s: config.Load with the compose environment: %v", name, err)
		}
		for k := range e {
			if !used[k] {
				t.Errorf("%s: %s is set in docker-compose.yml but config.Load never reads it (misspelt key?)", name, k)
			}
		}
		if c.Env != config.EnvProduction || c.Temporal.Address != "temporal:7233" || c.SMTP.Host != "mailcatcher" ||
			c.SMTP.Port != 1025 || c.SMTP.DevCatcher || c.Database.URL == "" {
			t.Errorf("%s: loaded config does not match the compose wiring: %+v", name, c)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: production validation: %v", name, err)
		}
	}
	if c, err := config.Load("", func(k string) (string, bool) { v, ok := env(service(t, p, "api"))[k]; return v, ok }); err == nil && c.HTTP.Addr != "0.0.0.0:8080" {
		t.Errorf("api: http.addr = %q, want 0.0.0.0:8080", c.HTTP.Addr)
	}
}

// TestRequiredSecrets: without any one secret the file does not load.
func TestRequiredSecrets(t *testing.T) {
	for k := range testEnv {
		_, err := load(t, envList(testEnv, k))
		if err == nil {
			t.Errorf("loading without %s succeeded; it must be a required variable", k)
			continue
		}
		if !strings.Contains(err.Error(), k) {
			t.Errorf("loading without %s: error does not name it: %v", k, err)
		}
	}
	// An empty value counts as missing (":?").
	empty := envList(testEnv, "CARECONNECT_LINKS_SECRET")
	empty = append(empty, "CARECONNECT_LINKS_SECRET=")
	if _, err := load(t, empty); err == nil {
		t.Error("loading with an empty CARECONNECT_LINKS_SECRET succeeded")
	}
}

func TestDependsOn(t *testing.T) {
	p := mustLoad(t)
	want := map[string]map[string]string{
		"temporal":    {"postgres": types.ServiceConditionHealthy},
		"temporal-ui": {"temporal": types.ServiceConditionStarted},
		"migrate":     {"postgres": types.ServiceConditionHealthy},
		"api": {"migrate": types.ServiceConditionCompletedSuccessfully, "temporal": types.ServiceConditionStarted,
			"mailcatcher": types.ServiceConditionStarted},
		"worker": {"migrate": types.ServiceConditionCompletedSuccessfully, "temporal": types.ServiceConditionStarted,
			"mailcatcher": types.ServiceConditionStarted},
	}
	for name, deps := range want {
		got := map[string]string{}
		for dep, d := range service(t, p, name).DependsOn {
			got[dep] = d.Condition
		}
		for dep, cond := range deps {
			if got[dep] != cond {
				t.Errorf("%s depends_on %s: condition %q, want %q", name, dep, got[dep], cond)
			}
		}
		if len(got) != len(deps) {
			t.Errorf("%s depends_on %v, want %v", name, got, deps)
		}
	}
}

// TestNoLiteralSecrets: every secret in the file is an interpolation from
// the environment, never a value.
func TestNoLiteralSecrets(t *testing.T) {
	raw, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	for v := range testEnv {
		if val := testEnv[v]; strings.Contains(string(raw), val) {
			t.Fatalf("test value of %s found in the file", v)
		}
	}
	// KEY: value, KEY=value or - KEY=value for anything secret-like.
	secretKey := regexp.MustCompile(`(?i)^\s*-?\s*"?([A-Z0-9_]*(SECRET|TOKEN|PASSWORD|PWD|API_KEY)[A-Z0-9_]*)"?\s*[:=]\s*(.*?)\s*$`)
	interpolated := regexp.MustCompile(`^["']?\$\{[A-Z0-9_]+(:?[?\-][^}]*)?\}["']?$`)
	found := 0
	for i, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		m := secretKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		found++
		if !interpolated.MatchString(m[3]) {
			t.Errorf("docker-compose.yml:%d: %s has a literal value; take it from the environment with ${%s:?...}", i+1, m[1], m[1])
		}
		if strings.Contains(m[3], ":-") {
			t.Errorf("docker-compose.yml:%d: %s has a default value; secrets must be required (${VAR:?...})", i+1, m[1])
		}
	}
	if found < 4 {
		t.Errorf("found only %d secret settings; the check is not seeing the file's secrets", found)
	}
	// The database URL's password comes from the environment too.
	dbURL := regexp.MustCompile(`postgres://[^:@\s]+:([^@\s]+)@`)
	for _, m := range dbURL.FindAllStringSubmatch(string(raw), -1) {
		if !strings.HasPrefix(m[1], "${POSTGRES_PASSWORD:?") {
			t.Errorf("database URL has a literal password %q; use ${POSTGRES_PASSWORD:?...}", m[1])
		}
	}
}

// The compose Temporal server runs with the dynamic configuration the dev
// server gets (devtemporal.DynamicConfig): mounted where
// DYNAMIC_CONFIG_FILE_PATH says, with the same settings.
func TestTemporalDynamicConfig(t *testing.T) {
	p := mustLoad(t)
	tsvc := service(t, p, "temporal")
	path := env(tsvc)["DYNAMIC_CONFIG_FILE_PATH"]
	var source string
	for _, v := range tsvc.Volumes {
		if v.Target == path {
			source = v.Source
			if !v.ReadOnly {
				t.Errorf("the dynamic config at %s is mounted writable; want read-only", path)
			}
		}
	}
	if path == "" || source == "" {
		t.Fatalf("temporal: DYNAMIC_CONFIG_FILE_PATH=%q, mounted from %q; want a file mounted at that path", path, source)
	}
	b, err := os.ReadFile(source)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string][]struct {
		Value any `yaml:"value"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	got := map[string]string{}
	for k, vs := range file {
		if len(vs) != 1 {
			t.Errorf("%s: %s has %d values; want one, for every namespace", source, k, len(vs))
			continue
		}
		got[k] = fmt.Sprint(vs[0].Value)
	}
	if want := devtemporal.DynamicConfig(); !maps.Equal(got, want) {
		t.Errorf("%s sets %v; the dev server runs with %v", source, got, want)
	}
}

// TestTLSWiring: careconnect reaches PostgreSQL and the mail catcher over
// TLS verified against the stack's private CA: the certs service makes it,
// postgres and mailpit serve its certificates, and every careconnect
// service mounts the CA read-only where its configuration looks.
func TestTLSWiring(t *testing.T) {
	p := mustLoad(t)
	mounts := func(s types.ServiceConfig) map[string]types.ServiceVolumeConfig {
		m := map[string]types.ServiceVolumeConfig{}
		for _, v := range s.Volumes {
			m[v.Target] = v
		}
		return m
	}
	certs := service(t, p, "certs")
	if v, ok := mounts(certs)["/certs"]; !ok || v.Source != "certs" || v.ReadOnly {
		t.Errorf("certs: want the certs volume mounted writable at /certs, got %+v", certs.Volumes)
	}
	if script := strings.Join(certs.Entrypoint, " "); !strings.Contains(script, "/make-certs.sh") {
		t.Errorf("certs: entrypoint %q does not run make-certs.sh", script)
	}
	for _, name := range []string{"postgres", "mailcatcher", "api", "worker", "migrate"} {
		s := service(t, p, name)
		if v, ok := mounts(s)["/certs"]; !ok || v.Source != "certs" || !v.ReadOnly {
			t.Errorf("%s: want the certs volume mounted read-only at /certs, got %+v", name, s.Volumes)
		}
	}
	for _, name := range []string{"postgres", "mailcatcher"} {
		if d := service(t, p, name).DependsOn["certs"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s: want to start after certs completes, got %+v", name, service(t, p, name).DependsOn)
		}
	}
	pg := strings.Join(service(t, p, "postgres").Command, " ")
	for _, want := range []string{"ssl=on", "ssl_cert_file=/certs/postgres.crt", "ssl_key_file=/certs/postgres.key"} {
		if !strings.Contains(pg, want) {
			t.Errorf("postgres: command %q lacks %s", pg, want)
		}
	}
	mp := env(service(t, p, "mailcatcher"))
	if mp["MP_SMTP_TLS_CERT"] != "/certs/mailcatcher.crt" || mp["MP_SMTP_TLS_KEY"] != "/certs/mailcatcher.key" || mp["MP_SMTP_REQUIRE_STARTTLS"] != "true" {
		t.Errorf("mailcatcher env = %v; want STARTTLS required with the certs volume's certificate", mp)
	}
}

// TestMakeCerts runs deploy/make-certs.sh and checks what careconnect
// will check: both server certificates verify against the CA for their
// compose host names, the keys are private, the CA key is gone, and a
// second run keeps what the first made.
func TestMakeCerts(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	dir := t.TempDir()
	run := func() {
		t.Helper()
		cmd := exec.Command("sh", "make-certs.sh", dir)
		cmd.Env = append(os.Environ(), fmt.Sprintf("POSTGRES_UID=%d", os.Getuid()))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make-certs.sh: %v\n%s", err, out)
		}
	}
	run()
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(read("ca.crt")) {
		t.Fatal("ca.crt holds no certificate")
	}
	for _, host := range []string{"postgres", "mailcatcher"} {
		block, _ := pem.Decode(read(host + ".crt"))
		if block == nil {
			t.Fatalf("%s.crt is not PEM", host)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("%s.crt does not verify for %s: %v", host, host, err)
		}
		if _, err := tls.X509KeyPair(read(host+".crt"), read(host+".key")); err != nil {
			t.Errorf("%s key pair: %v", host, err)
		}
	}
	for name, want := range map[string]os.FileMode{"postgres.key": 0o600, "mailcatcher.key": 0o640, "ca.crt": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v; want %v", name, fi.Mode().Perm(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.key")); !os.IsNotExist(err) {
		t.Errorf("the CA key is left behind (%v); nothing else may be signed with it", err)
	}
	ca := read("ca.crt")
	run()
	if !bytes.Equal(read("ca.crt"), ca) {
		t.Errorf("a second run replaced the CA")
	}
}
