package mail_test

import (
	"strings"
	"testing"
	"time"

	"careconnect/mail"
)

// fullData fills every field, as the worksite activities would.
func fullData() mail.TemplateData {
	return mail.TemplateData{
		RecipientName:   "Dr. Alex Lee",
		WorksiteID:      "K4T6CLP",
		WorksiteName:    "Main Street Family Practice",
		WorksiteAddress: "Unit 2, 123 Main St, Vancouver BC V5T 4G5",
		Link:            "https://careconnect.example/declaration?token=abc.def_-",
		// 05:00 UTC on the 8th is still the 7th in Vancouver.
		LinkExpires:      time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC),
		Reason:           "the worksite is a Health Authority Clinic",
		Seq:              2,
		BusinessDays:     5,
		SignerName:       "Pat Doe",
		SignerTitle:      "Office Manager",
		Deadline:         time.Date(2027, 1, 4, 20, 0, 0, 0, time.UTC),
		RegisteredAt:     time.Date(2026, 9, 8, 20, 0, 0, 0, time.UTC),
		PortalURL:        "https://careconnect.example/",
		MemberName:       "Sam Moa",
		MemberProfession: "Medical Office Assistant",
		Comment:          "I started Monday at the front desk",
		Change:           "you are now an administrator",
		TeamEmail:        "enrolment-team@careconnect.example",
	}
}

// vancouver is the zone emails show dates in unless a test says otherwise.
func vancouver(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Vancouver")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// mustRender renders k from d, with dates in Vancouver, or fails the test.
func mustRender(t *testing.T, k mail.Kind, d mail.TemplateData) mail.Rendered {
	t.Helper()
	r, err := mail.Render(k, d, vancouver(t))
	if err != nil {
		t.Fatalf("Render(%s): %v", k, err)
	}
	return r
}

func TestRenderEveryKind(t *testing.T) {
	tests := []struct {
		kind mail.Kind
		// wantLink: the email asks for a signature, so it carries the declaration link.
		wantLink bool
		// want are phrases the text body must contain: the next step and its date.
		want []string
	}{
		{mail.KindWorksiteRegistered, true, []string{"signing authority", "by Monday, 7 December 2026", "invite members"}},
		{mail.KindDeclarationReminder, true, []string{"reminder 2", "lapses on Monday, 4 January 2027"}},
		{mail.KindDeclarationStalled, false, []string{"Unit 2, 123 Main St", "Registered on: Tuesday, 8 September 2026", "still unsigned"}},
		{mail.KindRegistrationLapsed, false, []string{"lapsed", "register it again", "enrolment-team@careconnect.example"}},
		{mail.KindDeclarationReceived, false, []string{"Pat Doe (Office Manager)", "review"}},
		{mail.KindDeclarationSigned, false, []string{"Pat Doe (Office Manager)", "approve or reject", "/team"}},
		{mail.KindWorksiteApproved, false, []string{"approved", "apply for CareConnect access"}},
		{mail.KindWorksiteRejected, false, []string{"The reason the enrolment team gave:\n> the worksite is a Health Authority Clinic\n", "enrolment-team@careconnect.example"}},
		{mail.KindReviewEscalated, false, []string{"5 business days", "by Monday, 4 January 2027"}},
		{mail.KindReviewBreached, false, []string{"overdue", "5 business days", "breached on Monday, 4 January 2027", "today"}},
		{mail.KindRegisteredOnly, false, []string{"stops at registration", "Health Authority Clinic"}},
		{mail.KindJoinRequest, true, []string{"Sam Moa (Medical Office Assistant) has asked to join", "in their own words:\n> I started Monday at the front desk\n", "Approve or reject"}},
		{mail.KindJoinRequestReceived, false, []string{"was sent to its site administrators", "Your message to them:\n> I started Monday at the front desk\n", "email you their answer"}},
		{mail.KindJoinDecided, false, []string{"did not approve your request", "The reason the administrator gave:\n> the worksite is a Health Authority Clinic\n"}},
		{mail.KindInvitation, true, []string{"Sam Moa has invited you", "by Monday, 4 January 2027", "THIS email address"}},
		{mail.KindMembershipChanged, false, []string{"you are now an administrator", "The reason given:\n> the worksite is a Health Authority Clinic\n"}},
		{mail.KindWorksiteChanged, false, []string{"changed: you are now an administrator", "Worksite ID: K4T6CLP"}},
	}
	if len(tests) != len(mail.WorksiteKinds()) {
		t.Fatalf("got %d test cases; want one per worksite kind (%d)", len(tests), len(mail.WorksiteKinds()))
	}
	d := fullData()
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			r := mustRender(t, tt.kind, d)
			if !strings.Contains(r.Subject, d.WorksiteID) {
				t.Errorf("subject %q; want it to contain the worksite ID %s", r.Subject, d.WorksiteID)
			}
			if strings.ContainsAny(r.Subject, "\r\n") {
				t.Errorf("subject %q spans lines", r.Subject)
			}
			if got := strings.Contains(r.Text, d.Link); got != tt.wantLink {
				t.Errorf("text contains the declaration link: got %v; want %v", got, tt.wantLink)
			}
			if tt.wantLink && !strings.Contains(r.HTML, `href="`+d.Link+`"`) {
				t.Errorf("HTML has no link to %s", d.Link)
			}
			for _, w := range append(tt.want, d.WorksiteID, "Hello Dr. Alex Lee,", "The CareConnect enrolment team") {
				if !strings.Contains(r.Text, w) {
					t.Errorf("text does not contain %q:\n%s", w, r.Text)
				}
			}
			for _, w := range []string{"<!DOCTYPE html>", `<html lang="en-CA">`, d.WorksiteID, "The CareConnect enrolment team"} {
				if !strings.Contains(r.HTML, w) {
					t.Errorf("HTML does not contain %q", w)
				}
			}
			if strings.Contains(r.HTML, "<img") {
				t.Errorf("HTML contains an image; want plain HTML")
			}
		})
	}
}

// TestRenderMinimalData renders every kind with only the required fields:
// optional parts must disappear, not show as zero values.
func TestRenderMinimalData(t *testing.T) {
	for _, k := range mail.WorksiteKinds() {
		t.Run(string(k), func(t *testing.T) {
			r := mustRender(t, k, mail.TemplateData{WorksiteID: "K4T6CLP", Link: "https://careconnect.example/d?token=x"})
			for _, bad := range []string{"<no value>", "0001", "ZgotmplZ", "()", " ,", " ."} {
				if strings.Contains(r.Text, bad) || strings.Contains(r.HTML, bad) {
					t.Errorf("rendering contains %q:\n%s", bad, r.Text)
				}
			}
			if !strings.HasPrefix(r.Text, "Hello,\n") {
				t.Errorf("text starts %q; want the greeting %q", r.Text[:min(len(r.Text), 20)], "Hello,")
			}
		})
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	d := fullData()
	d.WorksiteName = `<script>alert("x")</script> & Co`
	for _, k := range mail.WorksiteKinds() {
		t.Run(string(k), func(t *testing.T) {
			r := mustRender(t, k, d)
			if strings.Contains(r.HTML, "<script") {
				t.Errorf("HTML contains an unescaped <script> tag")
			}
			if !strings.Contains(r.HTML, "&lt;script&gt;") {
				t.Errorf("HTML does not show the escaped worksite name")
			}
			if !strings.Contains(r.Text, d.WorksiteName) {
				t.Errorf("text does not contain the worksite name verbatim")
			}
		})
	}
}

// Dates show in the zone the renderer is given (calendar.time_zone): the
// same instant is one day in Vancouver and the next in Toronto. Without
// a zone nothing renders.
func TestRenderDatesInTheZone(t *testing.T) {
	toronto, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Fatal(err)
	}
	d := fullData() // the link expires at 05:00 UTC on Tuesday 8 December 2026
	tests := []struct {
		loc  *time.Location
		want string
	}{
		{vancouver(t), "by Monday, 7 December 2026"}, // 21:00 on the 7th
		{toronto, "by Tuesday, 8 December 2026"},     // 00:00 on the 8th
		{time.UTC, "by Tuesday, 8 December 2026"},    // 05:00 on the 8th
	}
	for _, tt := range tests {
		r, err := mail.Render(mail.KindWorksiteRegistered, d, tt.loc)
		if err != nil {
			t.Fatalf("%s: %v", tt.loc, err)
		}
		if !strings.Contains(r.Text, tt.want) || !strings.Contains(r.HTML, tt.want[3:]) {
			t.Errorf("%s: the email does not say %q:\n%s", tt.loc, tt.want, r.Text)
		}
	}
	if _, err := mail.Render(mail.KindWorksiteRegistered, d, nil); err == nil || !strings.HasPrefix(err.Error(), "mail: ") {
		t.Errorf("Render without a zone = %v; want a mail: error", err)
	}
}

func TestRenderRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		kind mail.Kind
		data mail.TemplateData
	}{
		// An unknown kind has no templates.
		{"unknown kind", mail.Kind("no_such_email"), fullData()},
		// Every worksite email shows the worksite ID.
		{"no worksite ID", mail.KindWorksiteApproved, mail.TemplateData{}},
		// Asking for a signature without the link to sign is useless.
		{"registered without link", mail.KindWorksiteRegistered, mail.TemplateData{WorksiteID: "K4T6CLP"}},
		{"reminder without link", mail.KindDeclarationReminder, mail.TemplateData{WorksiteID: "K4T6CLP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.Render(tt.kind, tt.data, vancouver(t))
			if err == nil {
				t.Fatalf("Render: got nil error; want one")
			}
			if !strings.HasPrefix(err.Error(), "mail: ") {
				t.Errorf("error %q; want prefix %q", err, "mail: ")
			}
		})
	}
}

func TestKindsAreDistinct(t *testing.T) {
	seen := map[mail.Kind]bool{}
	for _, k := range mail.Kinds() {
		if seen[k] {
			t.Errorf("kind %s listed twice", k)
		}
		seen[k] = true
	}
	if got, want := len(seen), 28; got != want {
		t.Errorf("got %d kinds; want %d", got, want)
	}
}

// TestRenderReviewIgnoresSeq: for team review emails Seq is a milestone
// number, and must not be shown as the number of days waited.
func TestRenderReviewIgnoresSeq(t *testing.T) {
	for _, k := range []mail.Kind{mail.KindReviewEscalated, mail.KindReviewBreached} {
		t.Run(string(k), func(t *testing.T) {
			r := mustRender(t, k, mail.TemplateData{WorksiteID: "K4T6CLP", Seq: 1})
			if strings.Contains(r.Text, "1 business day") || strings.Contains(r.Subject, "1 business day") {
				t.Errorf("got %q / %q; want no day count taken from Seq", r.Subject, r.Text)
			}
		})
	}
}

// TestRenderPersonKinds: account emails need the username, not a worksite,
// and say what to do by when.
func TestRenderPersonKinds(t *testing.T) {
	d := mail.TemplateData{RecipientName: `Pat <b>Doe</b>`, Username: "pdoe", PortalURL: "https://careconnect.example/",
		Deadline: time.Date(2027, 2, 1, 20, 0, 0, 0, time.UTC)}
	// app adds what the application emails show to d.
	app := func(f func(*mail.TemplateData)) mail.TemplateData {
		a := d
		a.WorksiteID, a.WorksiteName = "K4T6CLP", "Main Street Family Practice"
		f(&a)
		return a
	}
	tests := []struct {
		name string
		kind mail.Kind
		// data is d when nil.
		data    *mail.TemplateData
		want    []string
		notWant []string
	}{
		{"", mail.KindAccountRegistered, nil, []string{`HXBC\pdoe`, "Join your worksite"}, nil},
		{"", mail.KindPasswordExpiryReminder, nil, []string{"expires on Monday, 1 February 2027", "reset your password before"}, nil},
		{"", mail.KindPasswordExpired, nil, []string{"expired on Monday, 1 February 2027", "reset your password"}, nil},
		// The course is always a step; the HPCAA only for professions that need it.
		{"", mail.KindApplicationReceived, ptr(app(func(a *mail.TemplateData) { a.NeedsHPCAA = true })),
			[]string{"K4T6CLP", "Privacy & Security course", "LearningHub", "HPCAA", "Health Professional CareConnect Access Agreement"}, nil},
		{"without HPCAA", mail.KindApplicationReceived, ptr(app(func(*mail.TemplateData) {})),
			[]string{"K4T6CLP", "Privacy & Security course", "LearningHub"}, []string{"HPCAA"}},
		// The course is named and linked, with the address to use on LearningHub.
		{"course", mail.KindApplicationReceived, ptr(app(func(a *mail.TemplateData) {
			a.CourseName, a.CourseURL, a.AccountEmail = "Privacy Course X", "https://learninghub.example/course/42", "pat@example.ca"
		})), []string{`"Privacy Course X"`, "at https://learninghub.example/course/42", "same email address", "(pat@example.ca)"}, nil},
		// The acknowledgement of a LearningHub step, with the HPCAA while it is outstanding.
		{"", mail.KindLearningAcknowledged, ptr(app(func(a *mail.TemplateData) {
			a.Change, a.NeedsHPCAA, a.AccountEmail = "your Privacy & Security course completion is recorded", true, "pat@example.ca"
		})), []string{"LearningHub told us: your Privacy & Security course completion is recorded.", "HPCAA", "(pat@example.ca)"}, nil},
		{"", mail.KindApplicationDecided, ptr(app(func(a *mail.TemplateData) {
			a.Change, a.Reason = "your application was sent back to you", "the worksite address is a home office"
		})), []string{": your application was sent back to you.", "The reason given:\n> the worksite address is a home office\n"}, nil},
		{"", mail.KindWelcomePackage, ptr(app(func(a *mail.TemplateData) {
			a.ViewerURL, a.BusinessRole = "https://viewer.careconnect.example/", "Community Services — Prescriber"
		})), []string{"K4T6CLP", "https://viewer.careconnect.example/", "Your business role: Community Services — Prescriber",
			"NOT the my.CareConnect enrolment portal", `HXBC\pdoe`}, nil},
		// Sent to an authorizer, about the applicant (MemberName) who asks to be sponsored.
		{"", mail.KindSponsorshipRequest, ptr(app(func(a *mail.TemplateData) { a.MemberName = "Sam Lee" })),
			[]string{"Sam Lee", "K4T6CLP", "Main Street Family Practice", "sign in at https://careconnect.example/",
				"approve the sponsorship request"}, nil},
		{"", mail.KindSponsorshipApproved, ptr(app(func(a *mail.TemplateData) { a.Change = "sponsored by Dr Jane Smith" })),
			[]string{"K4T6CLP", ": sponsored by Dr Jane Smith.", "Privacy & Security course"}, nil},
		{"", mail.KindApplicationNotice, ptr(app(func(a *mail.TemplateData) {
			a.Change, a.Deadline = "complete the Privacy & Security course on LearningHub", time.Date(2027, 2, 1, 20, 0, 0, 0, time.UTC)
		})), []string{"K4T6CLP", "complete the Privacy & Security course on LearningHub.", "Act by Monday, 1 February 2027"}, nil},
		// The link is the credential for the address it was sent to.
		{"", mail.KindEmailConfirmation, ptr(linked(d, "")), []string{`HXBC\pdoe`, "Confirm that it is yours",
			"https://careconnect.example/confirm-email/abc.def", "by Monday, 7 December 2026", "do not open the link"}, []string{"new address"}},
		{"change", mail.KindEmailConfirmation, ptr(linked(d, "changed")), []string{"as its new address", "we keep writing to your current address"}, nil},
	}
	kinds := map[mail.Kind]bool{}
	for _, tt := range tests {
		kinds[tt.kind] = true
	}
	if len(kinds) != len(mail.PersonKinds()) {
		t.Fatalf("got cases for %d kinds; want one per person kind (%d)", len(kinds), len(mail.PersonKinds()))
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(string(tt.kind)+"/"+tt.name, "/"), func(t *testing.T) {
			data := d
			if tt.data != nil {
				data = *tt.data
			}
			r := mustRender(t, tt.kind, data)
			for _, w := range tt.want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("text does not contain %q:\n%s", w, r.Text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.Text, w) || strings.Contains(r.HTML, w) {
					t.Errorf("rendering contains %q; want it left out:\n%s", w, r.Text)
				}
			}
			if strings.Contains(r.HTML, "<b>Doe") || !strings.Contains(r.HTML, "&lt;b&gt;Doe") {
				t.Errorf("HTML does not escape the recipient name")
			}
			if _, err := mail.Render(tt.kind, mail.TemplateData{}, vancouver(t)); err == nil {
				t.Errorf("Render without a username succeeded; want an error")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// linked adds an email confirmation link (and change) to d.
func linked(d mail.TemplateData, change string) mail.TemplateData {
	d.Link, d.LinkExpires, d.Change = "https://careconnect.example/confirm-email/abc.def", time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC), change
	return d
}

// TestRenderQuotesUserText: a join request's comment and the reasons people
// give are shown as a quotation, in both parts, and nothing in them becomes
// a link: mail clients link whatever looks like an address after our
// escaping, so every address is defused ([.], [:]) where it is shown.
func TestRenderQuotesUserText(t *testing.T) {
	const hostile = "Urgent: sign in at https://careconnect.evil.example/login\r\n" +
		"or www.evil.example, mail it@evil.example, or go to ｅｖｉｌ。example <b>now</b>\nversion 2.5"
	cases := []struct {
		kind mail.Kind
		edit func(*mail.TemplateData)
	}{
		{mail.KindJoinRequest, func(d *mail.TemplateData) { d.Comment = hostile }},
		{mail.KindJoinDecided, func(d *mail.TemplateData) { d.Reason = hostile }},
		{mail.KindMembershipChanged, func(d *mail.TemplateData) { d.Reason = hostile }},
		{mail.KindWorksiteChanged, func(d *mail.TemplateData) { d.Reason = hostile }},
		{mail.KindWorksiteRejected, func(d *mail.TemplateData) { d.Reason = hostile }},
		{mail.KindApplicationDecided, func(d *mail.TemplateData) { d.Username, d.Change, d.Reason = "pdoe", "sent back", hostile }},
		{mail.KindApplicationNotice, func(d *mail.TemplateData) { d.Username, d.Change, d.Reason = "pdoe", "lapsed", hostile }},
	}
	// addresses are what a mail client would link in the hostile text.
	addresses := []string{"://careconnect.evil", "careconnect.evil", "evil.example", "www.evil", "it@evil", "ｅｖｉｌ。example"}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			d := fullData()
			d.Comment, d.Reason = "", ""
			c.edit(&d)
			r := mustRender(t, c.kind, d)
			for part, body := range map[string]string{"text": r.Text, "HTML": r.HTML} {
				for _, a := range addresses {
					if strings.Contains(body, a) {
						t.Errorf("%s contains %q, which a mail client would link:\n%s", part, a, body)
					}
				}
				for _, w := range []string{"https[:]//careconnect[.]evil[.]example/login", "www[.]evil[.]example", "it[at]evil[.]example",
					"ｅｖｉｌ[.]example", "version 2.5", "[.], [at] and [:]"} {
					if !strings.Contains(body, w) {
						t.Errorf("%s does not show %q:\n%s", part, w, body)
					}
				}
			}
			for _, w := range []string{"\n> Urgent: sign in at https[:]//", "\n> or www[.]evil", "\n> version 2.5\n"} {
				if !strings.Contains(r.Text, w) {
					t.Errorf("text does not quote the lines (%q):\n%s", w, r.Text)
				}
			}
			if !strings.Contains(r.HTML, "<blockquote") || !strings.Contains(r.HTML, "&lt;b&gt;now&lt;/b&gt;") || strings.Contains(r.HTML, "<b>now") {
				t.Errorf("HTML does not quote the text in a blockquote, escaped:\n%s", r.HTML)
			}
			if strings.Count(r.HTML, "<a ") != strings.Count(mustRender(t, c.kind, withoutUserText(d)).HTML, "<a ") {
				t.Errorf("the quoted text added a link to the HTML:\n%s", r.HTML)
			}
		})
	}
}

// withoutUserText is d with a plain comment and reason.
func withoutUserText(d mail.TemplateData) mail.TemplateData {
	if d.Comment != "" {
		d.Comment = "plain"
	}
	if d.Reason != "" {
		d.Reason = "plain"
	}
	return d
}
