package relay_test

import (
	"regexp"
	"strings"
	"testing"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/relay"
	"careconnect/store/storetest"
)

func TestProfessionLabel(t *testing.T) {
	c := relay.Config{Labels: domain.DefaultLabels()}
	moa := c.Labels.Professions[domain.ProfMOA]
	tests := []struct {
		name, in, want string
	}{
		// A code in the table is its label, not "medical_office_assistant".
		{"code in the table", domain.ProfMOA, moa},
		// A code the table lacks is made readable.
		{"unknown code", "dental_hygienist", "Dental hygienist"},
		// Words already are words.
		{"words", "Medical Office Assistant (MOA)", "Medical Office Assistant (MOA)"},
		// Nothing stays nothing, so the email leaves the brackets out.
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := c.ProfessionLabel(tt.in); got != tt.want {
			t.Errorf("%s: ProfessionLabel(%q) = %q; want %q", tt.name, tt.in, got, tt.want)
		}
	}
	// Without a table the relay uses the default one.
	if got := (relay.Config{}).ProfessionLabel(domain.ProfRegisteredNurse); got != "Registered Nurse" {
		t.Errorf("no table: ProfessionLabel(%q) = %q; want Registered Nurse", domain.ProfRegisteredNurse, got)
	}
}

// TestEmailsUseTheLabels: a rendered email names a profession with the
// words of domain.Labels, the table the portal reads at /reference, as the
// relay is configured with it (a configured profession table renames):
// "Registered Nurse", never "registered_nurse".
func TestEmailsUseTheLabels(t *testing.T) {
	configured := domain.DefaultLabels()
	configured.Professions[domain.ProfRegisteredNurse] = "Registered Nurse (BCCNM)"
	for _, tt := range []struct {
		name   string
		labels domain.Labels
	}{
		{"the default table", domain.DefaultLabels()},
		{"a configured table", configured},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mailer := &bodyMailer{}
			f := newFixture(t, storetest.New(t, "sqlite"), mailer)
			f.relay.Config.Labels = tt.labels
			var keys []string
			for code := range tt.labels.Professions {
				e := f.worksiteEmail(domain.MailJoinRequest)
				e.Worksite.Key = "join/" + code
				e.Worksite.MemberName, e.Worksite.MemberProfession = "Maria Santos", code
				e.Worksite.LinkPurpose, e.Worksite.LinkSubject = links.PurposeJoinDecision, "jr-"+code
				e.Worksite.To = domain.ToSiteAdmins
				f.queue(t, e)
				keys = append(keys, e.Key())
			}
			for f.round(t) > 0 {
			}
			mailer.mu.Lock()
			defer mailer.mu.Unlock()
			for _, key := range keys {
				code := strings.TrimPrefix(key, "join/")
				text := mailer.text[key]
				if want := "Maria Santos (" + tt.labels.Professions[code] + ")"; !strings.Contains(text, want) {
					t.Errorf("%s: the email does not say %q:\n%s", code, want, text)
				}
				if regexp.MustCompile(`\b` + code + `\b`).MatchString(text) {
					t.Errorf("%s: the email shows the raw code:\n%s", code, text)
				}
			}
		})
	}
}
