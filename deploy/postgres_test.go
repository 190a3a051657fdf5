package deploy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"careconnect/devtemporal/devtemporaltest"
	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestPostgresRoles runs deploy/postgres/init.sql with psql against the
// test PostgreSQL, with names of its own, and checks what each role may do
// with the real migrations: the schema owner migrates; the app role reads
// and writes rows but cannot change the schema; neither reaches Temporal's
// databases, nor Temporal careconnect's.
func TestPostgresRoles(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		if devtemporaltest.InCI() {
			t.Fatal("psql is not installed (it comes with PostgreSQL's client package)")
		}
		t.Skip("psql is not installed")
	}
	admin := storetest.AdminURL()
	s := randomHex(t, 4)
	names := map[string]string{"app_role": "cc_app_" + s, "migrate_role": "cc_migrate_" + s, "app_db": "cc_app_db_" + s,
		"temporal_role": "cc_temporal_" + s, "temporal_db": "cc_temporal_db_" + s, "visibility_db": "cc_visibility_db_" + s}
	pw := map[string]string{"CARECONNECT_DB_PASSWORD": randomHex(t, 12), "CARECONNECT_DB_MIGRATE_PASSWORD": randomHex(t, 12),
		"TEMPORAL_DB_PASSWORD": randomHex(t, 12)}
	sql := func(args ...string) {
		t.Helper()
		cmd := exec.Command(psql, append([]string{admin, "-X", "-q", "-v", "ON_ERROR_STOP=1"}, args...)...)
		cmd.Env = os.Environ()
		for k, v := range pw {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() {
		for _, db := range []string{"app_db", "temporal_db", "visibility_db"} {
			sql("-c", `DROP DATABASE IF EXISTS "`+names[db]+`" WITH (FORCE)`)
		}
		for _, r := range []string{"app_role", "migrate_role", "temporal_role"} {
			sql("-c", `DROP ROLE IF EXISTS "`+names[r]+`"`)
		}
	})
	args := []string{"-f", "postgres/init.sql"}
	for k, v := range names {
		args = append(args, "-v", k+"="+v)
	}
	sql(args...)

	urlFor := func(role, password, db string) string {
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatal(err)
		}
		u.User, u.Path = url.UserPassword(names[role], password), "/"+names[db]
		return u.String()
	}
	appURL := urlFor("app_role", pw["CARECONNECT_DB_PASSWORD"], "app_db")
	migrateURL := urlFor("migrate_role", pw["CARECONNECT_DB_MIGRATE_PASSWORD"], "app_db")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// careconnect migrate, as the schema owner.
	owner, err := store.Open(ctx, migrateURL, "")
	if err != nil {
		t.Fatalf("the schema owner cannot connect: %v", err)
	}
	if err := owner.Migrate(ctx); err != nil {
		t.Fatalf("the schema owner cannot migrate: %v", err)
	}
	_ = owner.Close()

	// The api and the worker, as the app role: rows yes.
	app, err := store.Open(ctx, appURL, "")
	if err != nil {
		t.Fatalf("the app role cannot connect: %v", err)
	}
	defer app.Close()
	w, err := app.CreateWorksite(ctx, domain.WorksiteRegistration{Name: "Roles Clinic", Phone: "(604) 555-0101", Email: "roles@example.ca",
		Address:      domain.Address{StreetNumber: "1", StreetName: "Main St", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"},
		LocationType: domain.CommunityPrivatePractice, SubOption: "physician_led", EMR: "OSCAR",
		Administrator: domain.Person{Name: "Pat Roles", Email: "pat@example.ca"}},
		time.Now(), domain.AuditEvent{Actor: "pat@example.ca", Role: "applicant", Action: "worksite registered"})
	if err != nil {
		t.Fatalf("the app role cannot write a row: %v", err)
	}
	if _, err := app.GetWorksite(ctx, w.ID); err != nil {
		t.Fatalf("the app role cannot read its row: %v", err)
	}
	if _, err := app.StageUpload(ctx, w.ID, []byte("png"), "image/png", "sum", time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatalf("the app role cannot stage an upload: %v", err)
	}
	if n, err := app.SweepUploads(ctx, time.Now().Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("the app role cannot delete a row: swept %d, %v", n, err)
	}

	// ...and no schema changes.
	conn, err := pgx.Connect(ctx, appURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, ddl := range []string{"CREATE TABLE sneaky (i int)", "DROP TABLE worksites", "ALTER TABLE worksites ADD COLUMN sneaky int",
		"TRUNCATE worksites"} {
		_, err := conn.Exec(ctx, ddl)
		if err == nil || !strings.Contains(err.Error(), "denied") && !strings.Contains(err.Error(), "must be owner") {
			t.Errorf("the app role ran %q: %v; want permission denied", ddl, err)
		}
	}

	// Each side stays out of the other's databases.
	for _, tc := range []struct{ role, password, db string }{
		{"app_role", pw["CARECONNECT_DB_PASSWORD"], "temporal_db"},
		{"migrate_role", pw["CARECONNECT_DB_MIGRATE_PASSWORD"], "visibility_db"},
		{"temporal_role", pw["TEMPORAL_DB_PASSWORD"], "app_db"},
	} {
		c, err := pgx.Connect(ctx, urlFor(tc.role, tc.password, tc.db))
		if err == nil {
			_ = c.Close(ctx)
			t.Errorf("%s connected to %s", tc.role, tc.db)
		}
	}
	// Temporal's schema tool creates tables in its own databases.
	for _, db := range []string{"temporal_db", "visibility_db"} {
		c, err := pgx.Connect(ctx, urlFor("temporal_role", pw["TEMPORAL_DB_PASSWORD"], db))
		if err != nil {
			t.Fatalf("temporal cannot connect to %s: %v", db, err)
		}
		if _, err := c.Exec(ctx, "CREATE TABLE schema_version_probe (i int)"); err != nil {
			t.Errorf("temporal cannot create a table in %s: %v", db, err)
		}
		_ = c.Close(ctx)
	}
}

// TestPgHba: over the network only TLS, each role to its own database,
// with SCRAM; the names agree with init.sql's defaults and the compose
// file's URLs and Temporal settings.
func TestPgHba(t *testing.T) {
	b, err := os.ReadFile("postgres/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string][]string{} // database -> users, over the network
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "local":
			if f[len(f)-1] != "scram-sha-256" {
				t.Errorf("pg_hba.conf:%d: local method %s; want scram-sha-256", i+1, f[len(f)-1])
			}
		case "hostssl":
			if len(f) != 5 || f[4] != "scram-sha-256" {
				t.Errorf("pg_hba.conf:%d: %q; want hostssl DATABASES USERS ADDRESS scram-sha-256", i+1, line)
				continue
			}
			for _, db := range strings.Split(f[1], ",") {
				allowed[db] = append(allowed[db], strings.Split(f[2], ",")...)
			}
		default:
			t.Errorf("pg_hba.conf:%d: %s lines let clients in without TLS; only local and hostssl", i+1, f[0])
		}
	}
	for _, u := range slices.Concat(allowed["careconnect"], allowed["temporal"]) {
		if u == "all" || u == "postgres" {
			t.Errorf("pg_hba.conf lets %s in over the network", u)
		}
	}
	init, err := os.ReadFile("postgres/init.sql")
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\\set (\w+) (\w+)$`).FindAllStringSubmatch(string(init), -1) {
		defaults[m[1]] = m[2]
	}
	want := map[string][]string{
		defaults["app_db"]:        {defaults["migrate_role"], defaults["app_role"]},
		defaults["temporal_db"]:   {defaults["temporal_role"]},
		defaults["visibility_db"]: {defaults["temporal_role"]},
	}
	for db, users := range want {
		got := slices.Clone(allowed[db])
		slices.Sort(got)
		slices.Sort(users)
		if !slices.Equal(got, users) {
			t.Errorf("pg_hba.conf lets %v into %s; init.sql's roles for it are %v", got, db, users)
		}
	}
	// The compose file connects with exactly those names.
	p := mustLoad(t)
	for _, name := range careconnect {
		u, err := url.Parse(env(service(t, p, name))["CARECONNECT_DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		if db := strings.TrimPrefix(u.Path, "/"); !slices.Contains(allowed[db], u.User.Username()) {
			t.Errorf("%s connects to %s as %s, which pg_hba.conf does not let in", name, db, u.User.Username())
		}
	}
	te := env(service(t, p, "temporal"))
	if !slices.Contains(allowed[defaults["temporal_db"]], te["POSTGRES_USER"]) || !slices.Contains(allowed[defaults["visibility_db"]], te["POSTGRES_USER"]) {
		t.Errorf("temporal connects as %s, which pg_hba.conf does not let into its databases", te["POSTGRES_USER"])
	}
}
