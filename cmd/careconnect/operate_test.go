package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
)

// The operators' commands run through run() against the configured
// database: an export of the worksites and the audit range as CSV, a
// timeline, and a refusal in the operator's words.
func TestOperatorCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "careconnect.db")
	t.Setenv("CARECONNECT_DATABASE_SQLITE_PATH", db)
	ctx := context.Background()
	st, err := store.Open(ctx, "", db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := st.CreateWorksite(ctx, domain.WorksiteRegistration{Name: "Proctor Clinic", Phone: "(604) 555-4555", Email: "clinic@example.ca",
		Address:      domain.Address{StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"},
		LocationType: domain.CommunityPrivatePractice, SubOption: "physician_led", EMR: "OSCAR",
		Administrator: domain.Person{Name: "Dalia Eighteen", Email: "dalia@example.ca"}},
		time.Now(), domain.AuditEvent{Actor: "bcsc-dalia", ActorName: "Dalia Eighteen", Role: "applicant", Action: "worksite registered", Subject: "worksite:x"})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"export", "worksites", "--as", "tester"}, []string{"id,name,location_type", w.ID + ",Proctor Clinic,"}},
		{[]string{"export", "audit", "--from", time.Now().Add(-24 * time.Hour).Format(time.DateOnly), "--to", time.Now().Add(24 * time.Hour).Format(time.DateOnly)},
			[]string{"at,subject,worksite_id,action,actor,actor_name,role", "worksite registered,bcsc-dalia,Dalia Eighteen,applicant"}},
		// The timeline names who acted, not their subject ID.
		{[]string{"timeline", "worksite:" + w.ID}, []string{"worksite " + w.ID, "worksite registered", "Applicant: Dalia Eighteen"}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		if err := run(c.args, &out); err != nil {
			t.Errorf("careconnect %s: %v", strings.Join(c.args, " "), err)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("careconnect %s: output lacks %q:\n%s", strings.Join(c.args, " "), want, out.String())
			}
		}
	}
	var out bytes.Buffer
	err = run([]string{"email", "resend", "worksite/NOPE/x/1"}, &out)
	if err == nil || strings.Contains(err.Error(), "not_found") {
		t.Errorf("resend an unknown email: got %v; want the domain message", err)
	}
	if err := run([]string{"export", "audit"}, &out); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Errorf("export audit without --from: got %v; want a --from error", err)
	}
}
