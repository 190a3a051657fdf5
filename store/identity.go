package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

type loginStateRow struct {
	State       string `gorm:"primaryKey"`
	Nonce       string
	Verifier    string
	BrowserHash string
	Kind        string
	ReturnTo    string
	ExpiresAt   time.Time
}

func (loginStateRow) TableName() string { return "login_states" }

// CreateLoginState stores a pending sign-in and drops expired ones.
func (s *Store) CreateLoginState(ctx context.Context, st domain.LoginState) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", time.Now().UTC()).Delete(&loginStateRow{}).Error; err != nil {
		return translate(err)
	}
	return translate(db.Create(&loginStateRow{State: st.State, Nonce: st.Nonce, Verifier: st.Verifier,
		BrowserHash: st.BrowserHash, Kind: string(st.Kind), ReturnTo: st.ReturnTo, ExpiresAt: st.ExpiresAt.UTC()}).Error)
}

// TakeLoginState returns and deletes the pending sign-in state that the
// browser with browserHash started, so a state is used once and only by
// that browser. The hashes are compared in constant time; another
// browser's attempt leaves the state for its own browser. Errors:
// ENOTFOUND (unknown, used, or another browser's).
func (s *Store) TakeLoginState(ctx context.Context, state, browserHash string) (domain.LoginState, error) {
	var row loginStateRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&row, "state = ?", state).Error; err != nil {
			return err
		}
		if row.BrowserHash == "" || subtle.ConstantTimeCompare([]byte(row.BrowserHash), []byte(browserHash)) != 1 {
			return gorm.ErrRecordNotFound
		}
		res := tx.Delete(&loginStateRow{}, "state = ?", state)
		if res.Error == nil && res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound // taken concurrently
		}
		return res.Error
	})
	if err != nil {
		return domain.LoginState{}, translate(err)
	}
	return domain.LoginState{State: row.State, Nonce: row.Nonce, Verifier: row.Verifier, BrowserHash: row.BrowserHash,
		Kind: domain.SignInKind(row.Kind), ReturnTo: row.ReturnTo, ExpiresAt: row.ExpiresAt.UTC()}, nil
}

type sessionRow struct {
	IDHash     string `gorm:"primaryKey"`
	Subject    string
	Issuer     string
	Role       string
	GivenName  string
	FamilyName string
	Email      string
	IAL        int    `gorm:"column:ial"`
	CSRFToken  string `gorm:"column:csrf_token"`
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	CheckedAt  time.Time
	Sealed     string `gorm:"column:token_sealed"`
}

func (sessionRow) TableName() string { return "sessions" }

// actorNameRow is the actor_names table: the name each person last
// signed in with, which names them in audit timelines (readAudit).
type actorNameRow struct {
	Subject string `gorm:"primaryKey"`
	Name    string
	Role    string
}

func (actorNameRow) TableName() string { return "actor_names" }

// CreateSession stores a session and drops expired ones. It records the
// name the person signed in with, for the audit timelines.
func (s *Store) CreateSession(ctx context.Context, se domain.Session) error {
	return translate(s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		now := time.Now().UTC()
		if err := db.Where("expires_at < ?", now).Delete(&sessionRow{}).Error; err != nil {
			return err
		}
		p := se.Principal
		if name := strings.TrimSpace(p.GivenName + " " + p.FamilyName); name != "" {
			err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "subject"}},
				DoUpdates: clause.AssignmentColumns([]string{"name", "role"})}).
				Create(&actorNameRow{Subject: p.Subject, Name: name, Role: string(p.Role)}).Error
			if err != nil {
				return err
			}
		}
		return db.Create(&sessionRow{IDHash: se.IDHash, Subject: p.Subject, Issuer: p.Issuer, Role: string(p.Role),
			GivenName: p.GivenName, FamilyName: p.FamilyName, Email: p.Email, IAL: p.IAL, CSRFToken: se.CSRFToken,
			CreatedAt: now, ExpiresAt: se.ExpiresAt.UTC(), LastSeenAt: se.LastSeenAt.UTC(),
			CheckedAt: se.CheckedAt.UTC(), Sealed: se.Sealed}).Error
	}))
}

// GetSession returns a session unexpired at now. Errors: ENOTFOUND.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (domain.Session, error) {
	var r sessionRow
	if err := s.db.WithContext(ctx).First(&r, "id_hash = ? AND expires_at > ?", idHash, now.UTC()).Error; err != nil {
		return domain.Session{}, translate(err)
	}
	return domain.Session{IDHash: r.IDHash, CSRFToken: r.CSRFToken, ExpiresAt: r.ExpiresAt.UTC(),
		LastSeenAt: r.LastSeenAt.UTC(), CheckedAt: r.CheckedAt.UTC(), Sealed: r.Sealed,
		Principal: domain.Principal{Subject: r.Subject, Issuer: r.Issuer, Role: domain.Role(r.Role), GivenName: r.GivenName,
			FamilyName: r.FamilyName, Email: r.Email, IAL: r.IAL}}, nil
}

// TouchSession records a use of the session at at (never moving it back).
func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	return translate(s.db.WithContext(ctx).Model(&sessionRow{}).Where("id_hash = ? AND last_seen_at < ?", idHash, at.UTC()).
		Update("last_seen_at", at.UTC()).Error)
}

// RecordSessionCheck records that a team session's role was confirmed at
// at, with the issuer's tokens as they now are (sealed).
func (s *Store) RecordSessionCheck(ctx context.Context, idHash string, at time.Time, sealed string) error {
	return translate(s.db.WithContext(ctx).Model(&sessionRow{}).Where("id_hash = ?", idHash).
		Updates(map[string]any{"checked_at": at.UTC(), "token_sealed": sealed}).Error)
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return translate(s.db.WithContext(ctx).Delete(&sessionRow{}, "id_hash = ?", idHash).Error)
}

// RevokeSessions ends every session of subject and records audit, in one
// transaction, and says how many it ended.
func (s *Store) RevokeSessions(ctx context.Context, subject string, audit func(ended int64) domain.AuditEvent) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Delete(&sessionRow{}, "subject = ?", subject)
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return createAudit(tx, audit(n))
	})
	return n, translate(err)
}

type personRow struct {
	Subject    string `gorm:"primaryKey"`
	LegalFirst string
	LegalLast  string
	State      string
	WaitingOn  string
	StatusJSON string `gorm:"column:status_json"`
	StatusSeq  int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (personRow) TableName() string { return "people" }

// EnsurePerson records a person unless their row exists (which it leaves
// as it is). Tests and fixtures use it: at sign-in, the person's row is
// their user workflow's write (domain.PersonWrite).
func (s *Store) EnsurePerson(ctx context.Context, subject, legalFirst, legalLast string) error {
	now := time.Now().UTC()
	return translate(s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&personRow{
		Subject: subject, LegalFirst: legalFirst, LegalLast: legalLast, State: string(domain.UserIdentityValidated),
		StatusJSON: "{}", CreatedAt: now, UpdatedAt: now}).Error)
}

// SaveUserStatus writes a person's status projection unless a newer one is stored.
func (s *Store) SaveUserStatus(ctx context.Context, st domain.UserStatus) error {
	return translate(saveUserStatus(s.db.WithContext(ctx), st))
}

// saveUserStatus is SaveUserStatus on db (a transaction or not).
func saveUserStatus(db *gorm.DB, st domain.UserStatus) error {
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: user status: %w", err)
	}
	return db.Model(&personRow{}).Where("subject = ? AND status_seq <= ?", st.Subject, st.Seq).
		Updates(map[string]any{"state": string(st.State), "waiting_on": string(st.WaitingOn), "status_json": string(js),
			"status_seq": st.Seq, "updated_at": time.Now().UTC()}).Error
}

// UserStatusJSON returns a person's projected status as the workflow
// wrote it (the JSON of domain.UserStatus) and its sequence number, for
// reads that pass it on as it is; seq 0 means the workflow has not
// projected it yet. Errors: ENOTFOUND.
func (s *Store) UserStatusJSON(ctx context.Context, subject string) (json.RawMessage, int, error) {
	var raw string
	var seq int
	err := s.db.WithContext(ctx).Raw("SELECT status_json, status_seq FROM people WHERE subject = ?", subject).Row().Scan(&raw, &seq)
	if err != nil {
		return nil, 0, translate(err)
	}
	return json.RawMessage(raw), seq, nil
}

// UserStatusView is UserStatusJSON and MemberWorksites in one statement:
// the read of a person's status page, which polls it. Errors: ENOTFOUND.
func (s *Store) UserStatusView(ctx context.Context, subject string) (json.RawMessage, int, []MemberWorksite, error) {
	// Rows and a plain Scan: gorm's Scan renders each statement with its
	// values for a logger that discards it, a tenth of this read's time.
	// A person with no worksite is one row of NULLs from the LEFT JOIN:
	// worksite_id tells it, the rest reads as empty.
	rows, err := s.db.WithContext(ctx).Raw(`SELECT p.status_json, p.status_seq, x.worksite_id,
			COALESCE(x.name, ''), COALESCE(x.unit, ''), COALESCE(x.street_number, ''), COALESCE(x.street_name, ''),
			COALESCE(x.city, ''), COALESCE(x.province, ''), COALESCE(x.postal_code, ''), COALESCE(x.state, ''),
			COALESCE(x.admin, FALSE), COALESCE(x.active, FALSE), x.since
		FROM people AS p LEFT JOIN (`+memberWorksitesSQL+`) AS x ON TRUE WHERE p.subject = ?`,
		subject, subject, unprojected, subject).Rows()
	if err != nil {
		return nil, 0, nil, translate(err)
	}
	defer rows.Close()
	var (
		raw   string
		seq   int
		found bool
		mine  = []MemberWorksite{}
	)
	for rows.Next() {
		var m memberWorksiteRow
		var id *string
		var since *time.Time
		if err := rows.Scan(&raw, &seq, &id, &m.Name, &m.Unit, &m.StreetNumber, &m.StreetName, &m.City, &m.Province,
			&m.PostalCode, &m.State, &m.Admin, &m.Active, &since); err != nil {
			return nil, 0, nil, translate(err)
		}
		found = true
		if id == nil {
			continue
		}
		m.WorksiteID, m.Since = *id, *since
		mine = append(mine, m.memberWorksite())
	}
	if err := rows.Err(); err != nil {
		return nil, 0, nil, translate(err)
	}
	if !found {
		return nil, 0, nil, domain.Errorf(domain.ENOTFOUND, "no person %s", subject)
	}
	sortMemberWorksites(mine)
	return json.RawMessage(raw), seq, mine, nil
}

// GetUserStatus returns a person's projected status. Errors: ENOTFOUND.
func (s *Store) GetUserStatus(ctx context.Context, subject string) (domain.UserStatus, error) {
	var r personRow
	if err := s.db.WithContext(ctx).First(&r, "subject = ?", subject).Error; err != nil {
		return domain.UserStatus{}, translate(err)
	}
	var st domain.UserStatus
	if err := json.Unmarshal([]byte(r.StatusJSON), &st); err != nil {
		return domain.UserStatus{}, fmt.Errorf("store: user status: %w", err)
	}
	st.Subject, st.LegalFirstName, st.LegalLastName = r.Subject, r.LegalFirst, r.LegalLast
	if st.State == "" {
		st.State = domain.UserState(r.State)
	}
	return st, nil
}

type accountRow struct {
	Subject     string `gorm:"primaryKey"`
	Username    string
	UsernameKey string
	Email       string
	// EmailConfirmedAt is set once Email was confirmed through its link.
	EmailConfirmedAt *time.Time
	// PendingEmail is a new address awaiting confirmation beside a confirmed Email.
	PendingEmail string
	// EmailNonce names the one link that may confirm the awaited address.
	EmailNonce string
	// EmailConfirmedNonce is the link that confirmed Email (a replay of it changes nothing).
	EmailConfirmedNonce string
	// EmailLinksSent counts the links sent for EmailNonce.
	EmailLinksSent    int
	LearningHubID     string `gorm:"column:learninghub_id"`
	PreferredFirst    string
	PreferredLast     string
	Profession        string
	ProfessionIDs     string `gorm:"column:profession_ids"`
	Phone             string
	Mobile            string
	HANetworkAccount  bool `gorm:"column:ha_network_account"`
	PasswordHash      string
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (accountRow) TableName() string { return "accounts" }

func (r accountRow) account(p personRow) (domain.Account, error) {
	a := domain.Account{Subject: r.Subject, Username: r.Username, Email: r.Email, EmailConfirmed: r.EmailConfirmedAt != nil,
		PendingEmail: r.PendingEmail, LearningHubID: r.LearningHubID, EmailLink: r.EmailNonce, EmailLinksSent: r.EmailLinksSent,
		EmailConfirmedLink: r.EmailConfirmedNonce,
		LegalFirstName:     p.LegalFirst,
		LegalLastName:      p.LegalLast, PreferredFirstName: r.PreferredFirst, PreferredLastName: r.PreferredLast,
		Profession: r.Profession, Phone: r.Phone, Mobile: r.Mobile, HasHANetworkAccount: r.HANetworkAccount,
		PasswordChangedAt: r.PasswordChangedAt.UTC(), CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.ProfessionIDs), &a.ProfessionIDs); err != nil {
		return domain.Account{}, fmt.Errorf("store: profession ids: %w", err)
	}
	return a, nil
}

// CreateAccount stores a validated account with its password hash and an
// audit record, in one transaction. Its email starts unconfirmed, with the
// nonce of the one link that may confirm it (Account.EmailLink), whose
// first link the caller sends. Errors:
// ECONFLICT naming the field when the person already has an account, the
// username is taken, or another account has confirmed the email.
func (s *Store) CreateAccount(ctx context.Context, subject string, r domain.AccountRegistration, passwordHash string, at time.Time, audit domain.AuditEvent) (domain.Account, error) {
	row, err := newAccountRow(subject, r, passwordHash, at)
	if err != nil {
		return domain.Account{}, err
	}
	var person personRow
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&person, "subject = ?", subject).Error; err != nil {
			return err
		}
		if err := s.accountConflicts(tx, subject, row.Email, row.UsernameKey, true); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return createAudit(tx, audit)
	})
	if err != nil {
		if de := asDomain(err); de != nil {
			return domain.Account{}, de
		}
		err = translate(err)
		if domain.ErrorCode(err) == domain.ECONFLICT {
			// Lost a race with a concurrent registration; say which field clashed.
			if cerr := s.accountConflicts(s.db.WithContext(ctx), subject, row.Email, row.UsernameKey, true); cerr != nil {
				return domain.Account{}, cerr
			}
		}
		return domain.Account{}, err
	}
	return row.account(person)
}

// newAccountRow is the row of a registration at at, with a new link nonce.
func newAccountRow(subject string, r domain.AccountRegistration, passwordHash string, at time.Time) (accountRow, error) {
	ids, err := json.Marshal(r.ProfessionIDs)
	if err != nil {
		return accountRow{}, fmt.Errorf("store: %w", err)
	}
	ha := false
	if r.HasHANetworkAccount != nil {
		ha = *r.HasHANetworkAccount
	}
	at = at.UTC()
	return accountRow{Subject: subject, Username: r.Username, UsernameKey: domain.NormaliseUsername(r.Username), Email: r.Email,
		PreferredFirst: r.PreferredFirstName, PreferredLast: r.PreferredLastName, Profession: r.Profession,
		ProfessionIDs: string(ids), Phone: r.Phone, Mobile: r.Mobile, HANetworkAccount: ha,
		PasswordHash: passwordHash, PasswordChangedAt: at, CreatedAt: at, UpdatedAt: at, EmailNonce: newNonce(), EmailLinksSent: 1}, nil
}

// accountConflicts returns ECONFLICT when another account (or, with
// includeSelf, any account of subject) holds username, or has confirmed
// email: an unconfirmed claim on an address blocks nobody.
func (s *Store) accountConflicts(tx *gorm.DB, subject, email, usernameKey string, includeSelf bool) error {
	var rows []accountRow
	q := tx.Select("subject", "email", "email_confirmed_at", "username_key").
		Where("(email = ? AND email_confirmed_at IS NOT NULL) OR username_key = ? OR subject = ?", email, usernameKey, subject)
	if err := q.Find(&rows).Error; err != nil {
		return translate(err)
	}
	for _, r := range rows {
		switch {
		case r.Subject == subject && includeSelf:
			return domain.Errorf(domain.ECONFLICT, "you already have an HxBC account; sign in and update it instead")
		case r.Subject == subject:
		case r.Email == email && r.EmailConfirmedAt != nil:
			return &domain.Error{Code: domain.ECONFLICT, Message: "that email address is already used by another account",
				Fields: map[string]string{"email": "is already used by another account; each person needs their own email address"}}
		case usernameKey != "" && r.UsernameKey == usernameKey:
			return &domain.Error{Code: domain.ECONFLICT, Message: "that username is taken",
				Fields: map[string]string{"username": "is taken (usernames are not case-sensitive); choose another"}}
		}
	}
	return nil
}

// GetAccount returns a person's account. Errors: ENOTFOUND.
func (s *Store) GetAccount(ctx context.Context, subject string) (domain.Account, error) {
	var row accountRow
	var person personRow
	db := s.db.WithContext(ctx)
	if err := db.First(&row, "subject = ?", subject).Error; err != nil {
		if domain.ErrorCode(translate(err)) == domain.ENOTFOUND {
			return domain.Account{}, domain.Errorf(domain.ENOTFOUND, "no HxBC account is registered for you yet")
		}
		return domain.Account{}, translate(err)
	}
	if err := db.First(&person, "subject = ?", subject).Error; err != nil {
		return domain.Account{}, translate(err)
	}
	return row.account(person)
}

// PasswordHash returns the stored hash of subject's password. Errors: ENOTFOUND.
func (s *Store) PasswordHash(ctx context.Context, subject string) (string, error) {
	var row accountRow
	if err := s.db.WithContext(ctx).Select("password_hash").First(&row, "subject = ?", subject).Error; err != nil {
		return "", translate(err)
	}
	return row.PasswordHash, nil
}

// AccountUpdate is domain.AccountUpdate: the read model is the domain's, so the
// application layer names it without importing the store.
type AccountUpdate = domain.AccountUpdate

// UpdateAccount applies a self-service change with its audit record, and
// says what the change did to the account's email (domain.PlanEmailChange):
// a new address replaces one never confirmed, or waits beside a confirmed
// one as pending, each with a new link nonce (so the links of the address
// it replaces stop working) whose first link the caller sends; giving the confirmed address again withdraws
// a pending change. An email change is audited on its own, the addresses
// masked. Errors: ENOTFOUND, ECONFLICT (another account confirmed the email).
func (s *Store) UpdateAccount(ctx context.Context, subject string, u AccountUpdate, audit domain.AuditEvent) (domain.Account, domain.EmailChange, error) {
	change := domain.EmailUnchanged
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row accountRow
		if err := lockRow(tx, s.dialect).First(&row, "subject = ?", subject).Error; err != nil {
			return err
		}
		w := domain.AccountChangeWrite{Subject: subject, Update: u, From: row.Email, FromPending: row.PendingEmail, Audit: audit}
		if u.Email != nil {
			w.Change = domain.PlanEmailChange(row.Email, row.EmailConfirmedAt != nil, row.PendingEmail, strings.ToLower(*u.Email))
			if w.Change == domain.EmailReplaced || w.Change == domain.EmailPending {
				w.Nonce = newNonce()
			}
		}
		change = w.Change
		return s.changeAccount(tx, w)
	})
	if de := asDomain(err); de != nil {
		return domain.Account{}, change, de
	} else if err != nil {
		return domain.Account{}, change, translate(err)
	}
	a, err := s.GetAccount(ctx, subject)
	return a, change, err
}

// errAccountMoved refuses a change planned against an account that has
// changed since.
func errAccountMoved() error {
	return domain.Errorf(domain.ECONFLICT, "your account changed meanwhile; nothing was changed; try again")
}

// changeAccount makes a planned self-service change (an AccountChangeWrite)
// if the account is still as it was planned against; a second run of the
// same write (its link nonce in place, or its withdrawal done) changes
// nothing. An email change is audited on its own, the addresses masked.
// Errors: ENOTFOUND, ECONFLICT (the account moved on, or another account
// confirmed the email).
func (s *Store) changeAccount(tx *gorm.DB, w domain.AccountChangeWrite) error {
	u := w.Update
	upd := map[string]any{"updated_at": time.Now().UTC()}
	set := func(col string, v *string) {
		if v != nil {
			upd[col] = *v
		}
	}
	set("preferred_first", u.PreferredFirstName)
	set("preferred_last", u.PreferredLastName)
	set("phone", u.Phone)
	set("mobile", u.Mobile)
	var row accountRow
	if err := lockRow(tx, s.dialect).First(&row, "subject = ?", w.Subject).Error; err != nil {
		return err
	}
	switch {
	case w.Nonce != "" && row.EmailNonce == w.Nonce:
		return nil // ran before
	case w.Change == domain.EmailWithdrawn && row.PendingEmail == "" && row.Email == w.From && row.EmailConfirmedAt != nil:
		return nil // ran before, or withdrawn meanwhile: the same end
	case row.Email != w.From || row.PendingEmail != w.FromPending:
		return errAccountMoved()
	}
	if u.Email != nil {
		next := strings.ToLower(*u.Email)
		if domain.PlanEmailChange(row.Email, row.EmailConfirmedAt != nil, row.PendingEmail, next) != w.Change {
			return errAccountMoved()
		}
		if w.Change == domain.EmailReplaced || w.Change == domain.EmailPending {
			if err := s.accountConflicts(tx, w.Subject, next, "", false); err != nil {
				return err
			}
		}
		emailAudit := w.Audit
		if emailAudit.Key != "" {
			emailAudit.Key += "/email"
		}
		switch w.Change {
		case domain.EmailReplaced:
			upd["email"], upd["email_nonce"], upd["email_links_sent"] = next, w.Nonce, 1
			emailAudit.Action, emailAudit.Detail = "email change requested",
				domain.MaskEmail(row.Email)+" -> "+domain.MaskEmail(next)+" (neither confirmed: the new address replaces the old and must be confirmed)"
		case domain.EmailPending:
			upd["pending_email"], upd["email_nonce"], upd["email_links_sent"] = next, w.Nonce, 1
			emailAudit.Action, emailAudit.Detail = "email change requested",
				domain.MaskEmail(row.Email)+" -> "+domain.MaskEmail(next)+" (the confirmed address stays in force until the new one is confirmed)"
		case domain.EmailWithdrawn:
			upd["pending_email"], upd["email_nonce"], upd["email_links_sent"] = "", "", 0
			emailAudit.Action, emailAudit.Detail = "email change withdrawn",
				domain.MaskEmail(row.PendingEmail)+" withdrawn; "+domain.MaskEmail(row.Email)+" stays in force"
		}
		if w.Change != domain.EmailUnchanged {
			if err := createAudit(tx, emailAudit); err != nil {
				return err
			}
		}
	}
	if err := tx.Model(&accountRow{}).Where("subject = ?", w.Subject).Updates(upd).Error; err != nil {
		return err
	}
	return createAudit(tx, w.Audit)
}

// NextEmailLink counts one more link sent for the address the account
// waits to confirm, and returns the link's nonce and its number (1 for the
// first). An account registered before addresses were confirmed gets its
// nonce here. Errors: ENOTFOUND, ECONFLICT (nothing awaits confirmation),
// EUNPROCESSABLE (domain.MaxEmailConfirmationLinks reached).
func (s *Store) NextEmailLink(ctx context.Context, subject string) (nonce string, seq int, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row accountRow
		if err := lockRow(tx, s.dialect).First(&row, "subject = ?", subject).Error; err != nil {
			return err
		}
		nonce, seq = row.EmailNonce, row.EmailLinksSent+1
		if nonce == "" {
			nonce = newNonce()
		}
		return s.nextEmailLink(tx, domain.EmailLinkWrite{Subject: subject, Nonce: nonce, Seq: seq, PrevNonce: row.EmailNonce,
			PrevSeq: row.EmailLinksSent})
	})
	if de := asDomain(err); de != nil {
		return "", 0, de
	}
	return nonce, seq, translate(err)
}

// nextEmailLink counts link w.Seq (an EmailLinkWrite) if the account
// still has link w.PrevSeq; a second run of the same write changes
// nothing. Errors: ENOTFOUND, ECONFLICT (nothing awaits confirmation, or
// the account moved on), EUNPROCESSABLE (domain.MaxEmailConfirmationLinks).
func (s *Store) nextEmailLink(tx *gorm.DB, w domain.EmailLinkWrite) error {
	var row accountRow
	if err := lockRow(tx, s.dialect).First(&row, "subject = ?", w.Subject).Error; err != nil {
		return err
	}
	if row.EmailNonce == w.Nonce && row.EmailLinksSent == w.Seq {
		return nil // ran before
	}
	awaiting := row.PendingEmail != "" || row.EmailConfirmedAt == nil
	if err := domain.CanResendEmailConfirmation(awaiting, row.EmailLinksSent); err != nil {
		return err
	}
	if row.EmailNonce != w.PrevNonce || row.EmailLinksSent != w.PrevSeq || w.Seq != w.PrevSeq+1 ||
		(w.PrevNonce != "" && w.Nonce != w.PrevNonce) {
		return domain.Errorf(domain.ECONFLICT, "your email address changed meanwhile; try again")
	}
	return tx.Model(&accountRow{}).Where("subject = ?", w.Subject).
		Updates(map[string]any{"email_nonce": w.Nonce, "email_links_sent": w.Seq}).Error
}

// ConfirmEmail uses the confirmation link with nonce on subject's account
// (domain.CheckEmailLink): the awaited address becomes the confirmed one in
// force, with an audit record; a replay of the link that confirmed it
// changes nothing. Errors: ENOTFOUND, EUNPROCESSABLE (the link is for an
// address no longer awaited), ECONFLICT (another account confirmed the
// address first).
func (s *Store) ConfirmEmail(ctx context.Context, subject, nonce string, at time.Time, audit domain.AuditEvent) (domain.Account, domain.EmailLinkOutcome, error) {
	var outcome domain.EmailLinkOutcome
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		outcome, err = s.confirmEmail(tx, domain.EmailConfirmWrite{Subject: subject, Nonce: nonce, At: at, Audit: audit})
		return err
	})
	if de := asDomain(err); de != nil {
		return domain.Account{}, "", de
	} else if err != nil {
		return domain.Account{}, "", translate(err)
	}
	a, err := s.GetAccount(ctx, subject)
	return a, outcome, err
}

// confirmEmail makes an EmailConfirmWrite and says what the link did; a
// second run of the same write finds the link used, and changes nothing.
func (s *Store) confirmEmail(tx *gorm.DB, w domain.EmailConfirmWrite) (domain.EmailLinkOutcome, error) {
	var row accountRow
	if err := lockRow(tx, s.dialect).First(&row, "subject = ?", w.Subject).Error; err != nil {
		return "", err
	}
	awaited := row.PendingEmail
	if awaited == "" && row.EmailConfirmedAt == nil {
		awaited = row.Email
	}
	f := domain.EmailLinkFacts{Used: row.EmailConfirmedNonce}
	if awaited != "" {
		f.Outstanding = row.EmailNonce
		var n int64
		if err := tx.Model(&accountRow{}).Where("email = ? AND email_confirmed_at IS NOT NULL AND subject <> ?", awaited, w.Subject).
			Count(&n).Error; err != nil {
			return "", err
		}
		f.TakenByOther = n > 0
	}
	outcome, err := domain.CheckEmailLink(f, w.Nonce)
	if err != nil || outcome != domain.EmailLinkConfirms {
		return outcome, err
	}
	res := tx.Model(&accountRow{}).Where("subject = ? AND email_nonce = ?", w.Subject, w.Nonce).Updates(map[string]any{
		"email": awaited, "email_confirmed_at": w.At.UTC(), "pending_email": "", "email_nonce": "", "email_confirmed_nonce": w.Nonce,
		"email_links_sent": 0, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		if domain.ErrorCode(translate(res.Error)) == domain.ECONFLICT { // lost a race to confirm the same address
			_, cerr := domain.CheckEmailLink(domain.EmailLinkFacts{Outstanding: w.Nonce, TakenByOther: true}, w.Nonce)
			return "", cerr
		}
		return "", res.Error
	}
	audit := w.Audit
	audit.Action, audit.Detail = "email confirmed", domain.MaskEmail(awaited)+" confirmed through the link sent to it"
	if awaited != row.Email {
		audit.Detail += "; it replaces " + domain.MaskEmail(row.Email)
	}
	return outcome, createAudit(tx, audit)
}

// newNonce names one email confirmation link: 128 random bits, hex.
func newNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("store: crypto/rand failed: " + err.Error()) // the platform's randomness is gone
	}
	return hex.EncodeToString(b)
}

// SetPassword stores a new password hash. Errors: ENOTFOUND.
func (s *Store) SetPassword(ctx context.Context, subject, hash string, at time.Time, audit domain.AuditEvent) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&accountRow{}).Where("subject = ?", subject).
			Updates(map[string]any{"password_hash": hash, "password_changed_at": at.UTC(), "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return createAudit(tx, audit)
	}))
}

// SetProfession records the enrolment team's profession change. Errors: ENOTFOUND.
func (s *Store) SetProfession(ctx context.Context, subject, profession string, ids map[string]string, audit domain.AuditEvent) error {
	js, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&accountRow{}).Where("subject = ?", subject).
			Updates(map[string]any{"profession": profession, "profession_ids": string(js), "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return createAudit(tx, audit)
	}))
}

// CountAccounts counts accounts; tests use it to prove a refused request stored nothing.
func (s *Store) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	return n, translate(s.db.WithContext(ctx).Model(&accountRow{}).Count(&n).Error)
}

// asDomain returns err as a *domain.Error when it is one (not wrapped by gorm).
func asDomain(err error) *domain.Error {
	if de, ok := err.(*domain.Error); ok {
		return de
	}
	return nil
}
