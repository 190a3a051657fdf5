package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // dates in emails are in the configured zone on every host
	"unicode"

	"careconnect/domain"
)

// Kind names one kind of email; the kinds are domain.MailKind's, so that
// the workflows name them without linking this package.
type Kind = domain.MailKind

// The kinds of email, as package domain names them.
const (
	KindWorksiteRegistered     = domain.MailWorksiteRegistered
	KindDeclarationReminder    = domain.MailDeclarationReminder
	KindDeclarationStalled     = domain.MailDeclarationStalled
	KindRegistrationLapsed     = domain.MailRegistrationLapsed
	KindDeclarationReceived    = domain.MailDeclarationReceived
	KindDeclarationSigned      = domain.MailDeclarationSigned
	KindWorksiteApproved       = domain.MailWorksiteApproved
	KindWorksiteRejected       = domain.MailWorksiteRejected
	KindReviewEscalated        = domain.MailReviewEscalated
	KindReviewBreached         = domain.MailReviewBreached
	KindRegisteredOnly         = domain.MailRegisteredOnly
	KindAccountRegistered      = domain.MailAccountRegistered
	KindPasswordExpiryReminder = domain.MailPasswordExpiryReminder
	KindPasswordExpired        = domain.MailPasswordExpired
	KindApplicationReceived    = domain.MailApplicationReceived
	KindApplicationDecided     = domain.MailApplicationDecided
	KindWelcomePackage         = domain.MailWelcomePackage
	KindSponsorshipRequest     = domain.MailSponsorshipRequest
	KindSponsorshipApproved    = domain.MailSponsorshipApproved
	KindApplicationNotice      = domain.MailApplicationNotice
	KindEmailConfirmation      = domain.MailEmailConfirmation
	KindJoinRequest            = domain.MailJoinRequest
	KindJoinRequestReceived    = domain.MailJoinRequestReceived
	KindJoinDecided            = domain.MailJoinDecided
	KindInvitation             = domain.MailInvitation
	KindMembershipChanged      = domain.MailMembershipChanged
	KindWorksiteChanged        = domain.MailWorksiteChanged
	KindLearningAcknowledged   = domain.MailLearningAcknowledged
)

// forPerson reports whether k is about a person's account rather than a worksite.
func forPerson(k Kind) bool {
	for _, p := range PersonKinds() {
		if k == p {
			return true
		}
	}
	return false
}

// Kinds returns every Kind, in a fixed order.
func Kinds() []Kind { return domain.MailKinds() }

// PersonKinds returns the kinds about a person's own account.
func PersonKinds() []Kind { return domain.PersonMailKinds() }

// WorksiteKinds returns the kinds about a worksite; each needs a worksite ID.
func WorksiteKinds() []Kind { return domain.WorksiteMailKinds() }

// valid reports whether k is one of Kinds.
func valid(k Kind) bool {
	for _, known := range Kinds() {
		if k == known {
			return true
		}
	}
	return false
}

// needsLink reports whether an email of kind k is pointless without its
// signed link.
func needsLink(k Kind) bool {
	return k == KindWorksiteRegistered || k == KindDeclarationReminder || k == KindJoinRequest || k == KindInvitation ||
		k == KindEmailConfirmation
}

// TemplateData is everything a template may show. Only WorksiteID (every
// kind) and Link (worksite_registered, declaration_reminder) are required;
// templates leave out what is empty or zero.
type TemplateData struct {
	// RecipientName greets the reader; empty gives "Hello,".
	RecipientName string

	WorksiteID      string
	WorksiteName    string
	WorksiteAddress string

	// Link is the signed declaration link; LinkExpires is when it stops working.
	Link        string
	LinkExpires time.Time

	// Reason explains a rejection or why enrolment stops at registration.
	Reason string
	// Seq is the reminder number (1, 2, 3) of declaration_reminder. Other
	// kinds ignore it: it is the milestone number, not a count of days.
	Seq int
	// BusinessDays is how many business days a review has waited
	// (team_review_escalated, team_review_breached); zero leaves the count out.
	BusinessDays int

	SignerName  string
	SignerTitle string

	// Deadline is when the reader must have acted, by kind:
	// declaration_reminder, declaration_stalled: when the registration lapses;
	// registration_lapsed: when it lapsed;
	// declaration_received: when the team's review is due (optional);
	// team_review_escalated: when the review SLA will be breached;
	// team_review_breached: when it was breached.
	Deadline time.Time
	// RegisteredAt is when the worksite was registered (declaration_stalled).
	RegisteredAt time.Time

	// Username is the reader's HxBC username (account emails).
	Username string

	// MemberName and MemberProfession name the person a membership email is
	// about (the requester; the inviting administrator for invitations).
	MemberName       string
	MemberProfession string
	// Comment is the requester's message to the administrators.
	Comment string
	// Change says what happened (membership_changed, worksite_changed).
	Change string
	// BusinessRole is the provisioned role; ViewerURL is CareConnect's
	// address (welcome_package); NeedsHPCAA adds the HPCAA step.
	BusinessRole string
	ViewerURL    string
	NeedsHPCAA   bool

	// CourseName and CourseURL name the LearningHub course and link to it;
	// AccountEmail is the address the reader must use there, their
	// account's (application_received, learning_acknowledged).
	CourseName   string
	CourseURL    string
	AccountEmail string

	// PortalURL is where the reader acts in the portal (sign in, invite, review).
	PortalURL string
	// TeamEmail is the enrolment team's mailbox, for questions.
	TeamEmail string
}

// Rendered is a rendered email: a one-line subject and two bodies with
// the same content.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// view is what the templates execute on: the data plus the rendered subject
// (the HTML title).
type view struct {
	TemplateData
	Subject string
}

// action is a call to action: a link and what following it does.
type action struct {
	URL   string
	Label string
}

// DateLayout formats dates in emails, e.g. "Monday, 7 December 2026".
const DateLayout = "Monday, 2 January 2006"

//go:embed templates/*.tmpl
var templateFS embed.FS

// Render renders the email of kind k from d, showing every date in loc
// (the configured calendar.time_zone). It fails for an unknown kind, a nil
// loc and data the kind cannot do without (WorksiteID; Link where the
// email asks someone to sign). Templates are parsed on every call: emails
// are few, and nothing parsed is kept in package state.
func Render(k Kind, d TemplateData, loc *time.Location) (Rendered, error) {
	if loc == nil {
		return Rendered{}, fmt.Errorf("mail: %s: no time zone to show dates in", k)
	}
	if !valid(k) {
		return Rendered{}, fmt.Errorf("mail: unknown email kind %q", k)
	}
	if forPerson(k) && strings.TrimSpace(d.Username) == "" {
		return Rendered{}, fmt.Errorf("mail: %s: username is required", k)
	}
	if !forPerson(k) && strings.TrimSpace(d.WorksiteID) == "" {
		return Rendered{}, fmt.Errorf("mail: %s: worksite ID is required", k)
	}
	if needsLink(k) && strings.TrimSpace(d.Link) == "" {
		return Rendered{}, fmt.Errorf("mail: %s: its signed link is required", k)
	}
	funcs := map[string]any{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format(DateLayout)
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"sentence": sentence,
		"quoted":   quoted,
		"action":   func(url, label string) action { return action{URL: url, Label: label} },
	}

	textFiles := []string{"templates/layout.txt.tmpl", "templates/" + string(k) + ".txt.tmpl"}
	tt, err := texttemplate.New(string(k)).Funcs(funcs).ParseFS(templateFS, textFiles...)
	if err != nil {
		return Rendered{}, fmt.Errorf("mail: parsing %s text template: %w", k, err)
	}
	v := view{TemplateData: d}
	var b bytes.Buffer
	if err := tt.ExecuteTemplate(&b, "subject", v); err != nil {
		return Rendered{}, fmt.Errorf("mail: rendering %s subject: %w", k, err)
	}
	v.Subject = oneLine(b.String())
	b.Reset()
	if err := tt.ExecuteTemplate(&b, "layout", v); err != nil {
		return Rendered{}, fmt.Errorf("mail: rendering %s text: %w", k, err)
	}
	text := tidyText(b.String())

	htmlFiles := []string{"templates/layout.html.tmpl", "templates/" + string(k) + ".html.tmpl"}
	ht, err := htmltemplate.New(string(k)).Funcs(funcs).ParseFS(templateFS, htmlFiles...)
	if err != nil {
		return Rendered{}, fmt.Errorf("mail: parsing %s HTML template: %w", k, err)
	}
	b.Reset()
	if err := ht.ExecuteTemplate(&b, "layout", v); err != nil {
		return Rendered{}, fmt.Errorf("mail: rendering %s HTML: %w", k, err)
	}
	return Rendered{Subject: v.Subject, Text: text, HTML: tidyHTML(b.String())}, nil
}

// oneLine folds s onto one line with single spaces, so that data with
// line breaks cannot add header lines to a subject.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// sentence trims s and ends it with a full stop unless it already ends
// with punctuation.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r := []rune(s)
	if last := r[len(r)-1]; unicode.IsPunct(last) && last != ')' && last != '"' {
		return s
	}
	return s + "."
}

// quotation is text someone wrote (a join request's comment, a reason
// for a decision), ready to show as a quotation: its lines, with every web
// and email address in them defused.
type quotation struct {
	Lines []string
	// Defused reports whether an address was defused, so that the email
	// can say what the [.] and [:] marks are.
	Defused bool
}

// quoted prepares text someone wrote for an email, where it is shown as a
// visible quotation (a bordered block in HTML, "> " lines in text) and
// never as our own words.
//
// Mail clients turn whatever looks like a web or email address into a
// link, in the HTML part and in the text part alike, after our escaping
// has run, so escaping cannot stop it, and a link in an email that comes
// from CareConnect would lend a stranger's address our credibility. So the
// marks a client recognises an address by are broken, visibly, as security
// advisories write hostile addresses: "://" becomes "[:]//", a dot (or a
// full-width or ideographic one, which hosts also accept) between a letter
// or digit and a letter becomes "[.]" ("evil.example", "www.x"; "2.5"
// stays) and an at sign inside a word "[at]" ("bob[at]x[.]ca"). No address
// survives in either part, whatever top-level domains a client knows, and
// the reader still sees what was written. Control characters other than line breaks and tabs become
// spaces.
func quoted(s string) quotation {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (unicode.Is(unicode.Cc, r) || r == '\u2028' || r == '\u2029') {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	var q quotation
	for _, line := range strings.Split(s, "\n") {
		d := defuse(strings.TrimRightFunc(line, unicode.IsSpace))
		q.Defused = q.Defused || d != strings.TrimRightFunc(line, unicode.IsSpace)
		q.Lines = append(q.Lines, d)
	}
	return q
}

// defuse breaks every web and email address in line (see quoted).
func defuse(line string) string {
	line = strings.ReplaceAll(line, "://", "[:]//")
	r := []rune(line)
	var b strings.Builder
	for i, c := range r {
		inWord := i > 0 && i+1 < len(r) && (unicode.IsLetter(r[i-1]) || unicode.IsDigit(r[i-1]))
		switch {
		case inWord && isDot(c) && unicode.IsLetter(r[i+1]):
			b.WriteString("[.]")
			continue
		case inWord && (c == '@' || c == '\uff20') && (unicode.IsLetter(r[i+1]) || unicode.IsDigit(r[i+1])):
			b.WriteString("[at]")
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// isDot reports whether c is a full stop a host name may be written with.
func isDot(c rune) bool { return c == '.' || c == '\u3002' || c == '\uff0e' || c == '\uff61' }

// tidyText trims trailing spaces, collapses runs of blank lines into one and
// ends the text with a single newline, so templates can be laid out freely.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	blank := true // drops leading blank lines
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// tidyHTML drops the blank lines that template actions leave behind.
func tidyHTML(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n") + "\n"
}
