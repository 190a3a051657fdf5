package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

type loginStateRow struct {
	State     string `gorm:"primaryKey"`
	Nonce     string
	Verifier  string
	Kind      string
	ReturnTo  string
	ExpiresAt time.Time
}

func (loginStateRow) TableName() string { return "login_states" }

// CreateLoginState stores a pending sign-in and drops expired ones.
func (s *Store) CreateLoginState(ctx context.Context, st domain.LoginState) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", time.Now().UTC()).Delete(&loginStateRow{}).Error; err != nil {
		return translate(err)
	}
	return translate(db.Create(&loginStateRow{State: st.State, Nonce: st.Nonce, Verifier: st.Verifier,
		Kind: string(st.Kind), ReturnTo: st.ReturnTo, ExpiresAt: st.ExpiresAt.UTC()}).Error)
}

// TakeLoginState returns and deletes a pending sign-in, so a state is used once. Errors: ENOTFOUND.
func (s *Store) TakeLoginState(ctx context.Context, state string) (domain.LoginState, error) {
	var row loginStateRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&row, "state = ?", state).Error; err != nil {
			return err
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
	return domain.LoginState{State: row.State, Nonce: row.Nonce, Verifier: row.Verifier, Kind: domain.SignInKind(row.Kind),
		ReturnTo: row.ReturnTo, ExpiresAt: row.ExpiresAt.UTC()}, nil
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
}

func (sessionRow) TableName() string { return "sessions" }

// CreateSession stores a session and drops expired ones.
func (s *Store) CreateSession(ctx context.Context, se domain.Session) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", time.Now().UTC()).Delete(&sessionRow{}).Error; err != nil {
		return translate(err)
	}
	p := se.Principal
	return translate(db.Create(&sessionRow{IDHash: se.IDHash, Subject: p.Subject, Issuer: p.Issuer, Role: string(p.Role),
		GivenName: p.GivenName, FamilyName: p.FamilyName, Email: p.Email, IAL: p.IAL, CSRFToken: se.CSRFToken,
		CreatedAt: time.Now().UTC(), ExpiresAt: se.ExpiresAt.UTC()}).Error)
}

// GetSession returns a session unexpired at now. Errors: ENOTFOUND.
func (s *Store) GetSession(ctx context.Context, idHash string, now time.Time) (domain.Session, error) {
	var r sessionRow
	if err := s.db.WithContext(ctx).First(&r, "id_hash = ? AND expires_at > ?", idHash, now.UTC()).Error; err != nil {
		return domain.Session{}, translate(err)
	}
	return domain.Session{IDHash: r.IDHash, CSRFToken: r.CSRFToken, ExpiresAt: r.ExpiresAt.UTC(),
		Principal: domain.Principal{Subject: r.Subject, Issuer: r.Issuer, Role: domain.Role(r.Role), GivenName: r.GivenName,
			FamilyName: r.FamilyName, Email: r.Email, IAL: r.IAL}}, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return translate(s.db.WithContext(ctx).Delete(&sessionRow{}, "id_hash = ?", idHash).Error)
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

// EnsurePerson records a person at first sign-in; later sign-ins change
// nothing, so legal names stay as first recorded.
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
	Subject           string `gorm:"primaryKey"`
	Username          string
	UsernameKey       string
	Email             string
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
	a := domain.Account{Subject: r.Subject, Username: r.Username, Email: r.Email, LegalFirstName: p.LegalFirst,
		LegalLastName: p.LegalLast, PreferredFirstName: r.PreferredFirst, PreferredLastName: r.PreferredLast,
		Profession: r.Profession, Phone: r.Phone, Mobile: r.Mobile, HasHANetworkAccount: r.HANetworkAccount,
		PasswordChangedAt: r.PasswordChangedAt.UTC(), CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.ProfessionIDs), &a.ProfessionIDs); err != nil {
		return domain.Account{}, fmt.Errorf("store: profession ids: %w", err)
	}
	return a, nil
}

// CreateAccount stores a validated account with its password hash and an
// audit record, in one transaction. Errors: ECONFLICT naming the field when
// the person already has an account or the email or username is taken.
func (s *Store) CreateAccount(ctx context.Context, subject string, r domain.AccountRegistration, passwordHash string, at time.Time, audit domain.AuditEvent) (domain.Account, error) {
	ids, err := json.Marshal(r.ProfessionIDs)
	if err != nil {
		return domain.Account{}, fmt.Errorf("store: %w", err)
	}
	at = at.UTC()
	row := accountRow{Subject: subject, Username: r.Username, UsernameKey: domain.NormaliseUsername(r.Username), Email: r.Email,
		PreferredFirst: r.PreferredFirstName, PreferredLast: r.PreferredLastName, Profession: r.Profession,
		ProfessionIDs: string(ids), Phone: r.Phone, Mobile: r.Mobile, HANetworkAccount: *r.HasHANetworkAccount,
		PasswordHash: passwordHash, PasswordChangedAt: at, CreatedAt: at, UpdatedAt: at}
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

// accountConflicts returns ECONFLICT when another account (or, with
// includeSelf, any account of subject) holds email or username.
func (s *Store) accountConflicts(tx *gorm.DB, subject, email, usernameKey string, includeSelf bool) error {
	var rows []accountRow
	q := tx.Select("subject", "email", "username_key").Where("email = ? OR username_key = ? OR subject = ?", email, usernameKey, subject)
	if err := q.Find(&rows).Error; err != nil {
		return translate(err)
	}
	for _, r := range rows {
		switch {
		case r.Subject == subject && includeSelf:
			return domain.Errorf(domain.ECONFLICT, "you already have an HxBC account; sign in and update it instead")
		case r.Subject == subject:
		case r.Email == email:
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

// AccountUpdate is a self-service change; nil fields are left alone.
type AccountUpdate struct {
	PreferredFirstName *string
	PreferredLastName  *string
	Email              *string
	Phone              *string
	Mobile             *string
}

// UpdateAccount applies a self-service change with its audit record.
// Errors: ENOTFOUND, ECONFLICT (email taken).
func (s *Store) UpdateAccount(ctx context.Context, subject string, u AccountUpdate, audit domain.AuditEvent) (domain.Account, error) {
	upd := map[string]any{"updated_at": time.Now().UTC()}
	set := func(col string, v *string) {
		if v != nil {
			upd[col] = *v
		}
	}
	set("preferred_first", u.PreferredFirstName)
	set("preferred_last", u.PreferredLastName)
	set("email", u.Email)
	set("phone", u.Phone)
	set("mobile", u.Mobile)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if u.Email != nil {
			if err := s.accountConflicts(tx, subject, *u.Email, "", false); err != nil {
				return err
			}
		}
		res := tx.Model(&accountRow{}).Where("subject = ?", subject).Updates(upd)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return createAudit(tx, audit)
	})
	if de := asDomain(err); de != nil {
		return domain.Account{}, de
	} else if err != nil {
		return domain.Account{}, translate(err)
	}
	return s.GetAccount(ctx, subject)
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

// DeleteAccount removes an account the workflow refused, with its audit
// records, so a failed registration leaves nothing behind.
func (s *Store) DeleteAccount(ctx context.Context, subject string) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("subject = ? AND action = ?", "person:"+subject, "account registered").Delete(&auditRow{}).Error; err != nil {
			return err
		}
		return tx.Delete(&accountRow{}, "subject = ?", subject).Error
	}))
}
