package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

// worksiteRow is the worksites table.
type worksiteRow struct {
	ID                string `gorm:"primaryKey"`
	Name              string
	Phone             string
	Extension         string
	Email             string
	Unit              string
	StreetNumber      string
	StreetName        string
	City              string
	Province          string
	PostalCode        string
	AddressKey        string
	StreetKey         string
	UnitKey           string
	LocationType      string
	SubOption         string
	OtherDescription  string
	EMR               string `gorm:"column:emr"`
	ContactName       string
	AdminName         string
	AdminEmail        string
	AdminSubject      string
	RegisteredAt      time.Time
	State             string
	WaitingOn         string
	WaitingSince      *time.Time
	NextMilestoneKind string
	NextMilestoneAt   *time.Time
	Stalled           bool
	Escalated         bool
	Breached          bool
	StatusJSON        string `gorm:"column:status_json"`
	StatusSeq         int
	UpdatedAt         time.Time
	// Projected and ActiveAdmins are read only, when a query selects
	// membershipProjected and activeAdminsJSON.
	Projected    bool   `gorm:"->;column:projected"`
	ActiveAdmins string `gorm:"->;column:active_admins"`
}

func (worksiteRow) TableName() string { return "worksites" }

// worksiteColumns are worksiteRow's columns: every column but the
// membership projection (membership_json), which can be large.
var worksiteColumns = []string{"id", "name", "phone", "extension", "email", "unit", "street_number", "street_name", "city",
	"province", "postal_code", "address_key", "unit_key", "location_type", "sub_option", "other_description", "emr",
	"contact_name", "admin_name", "admin_email", "admin_subject", "registered_at", "state", "waiting_on", "waiting_since",
	"next_milestone_kind", "next_milestone_at", "stalled", "escalated", "breached", "status_json", "status_seq", "updated_at"}

// WorksiteRead is domain.WorksiteRead: the read model is the domain's, so the
// application layer names it without importing the store.
type WorksiteRead = domain.WorksiteRead

// ReadWorksite returns a worksite with its administrators and stored
// status, in one query. Errors: ENOTFOUND.
func (s *Store) ReadWorksite(ctx context.Context, id string) (WorksiteRead, error) {
	// Only the columns the read uses, scanned here: the worksite page polls
	// this, and gorm's query building and reflection were a fifth of it.
	rows, err := s.db.WithContext(ctx).Raw(`SELECT id, name, phone, extension, email, unit, street_number, street_name, city,
			province, postal_code, location_type, sub_option, other_description, emr, contact_name, admin_name, admin_email,
			admin_subject, registered_at, status_json, status_seq, `+membershipProjected+`, `+s.activeAdminsJSON()+`
		FROM worksites WHERE id = ?`, id).Rows()
	if err != nil {
		return WorksiteRead{}, translate(err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return WorksiteRead{}, translate(err)
		}
		return WorksiteRead{}, worksiteNotFound(id)
	}
	var r worksiteRow
	if err := rows.Scan(&r.ID, &r.Name, &r.Phone, &r.Extension, &r.Email, &r.Unit, &r.StreetNumber, &r.StreetName, &r.City,
		&r.Province, &r.PostalCode, &r.LocationType, &r.SubOption, &r.OtherDescription, &r.EMR, &r.ContactName, &r.AdminName,
		&r.AdminEmail, &r.AdminSubject, &r.RegisteredAt, &r.StatusJSON, &r.StatusSeq, &r.Projected, &r.ActiveAdmins); err != nil {
		return WorksiteRead{}, translate(err)
	}
	admins, err := r.admins()
	if err != nil {
		return WorksiteRead{}, err
	}
	return WorksiteRead{Worksite: r.worksite(), Admins: admins, StatusJSON: json.RawMessage(r.StatusJSON), StatusSeq: r.StatusSeq}, nil
}

func (r worksiteRow) worksite() domain.Worksite {
	return domain.Worksite{
		ID: r.ID, Name: r.Name, Phone: r.Phone, Extension: r.Extension, Email: r.Email,
		Address: domain.Address{Unit: r.Unit, StreetNumber: r.StreetNumber, StreetName: r.StreetName,
			City: r.City, Province: r.Province, PostalCode: r.PostalCode},
		LocationType: domain.LocationType(r.LocationType), SubOption: r.SubOption, OtherDescription: r.OtherDescription,
		EMR: r.EMR, ContactName: r.ContactName, Administrator: domain.Person{Name: r.AdminName, Email: r.AdminEmail, Subject: r.AdminSubject}, RegisteredAt: r.RegisteredAt.UTC(),
	}
}

// StateRegistering is the projected state of a worksite whose workflow has
// not yet reported its first status.
const StateRegistering = "registering"

// maxIDAttempts bounds retries on a worksite ID collision (36^7 IDs make one rare).
const maxIDAttempts = 5

// CreateWorksite stores a validated registration under a fresh random ID
// and records the registration in the audit trail, in one transaction,
// as the registration's owned write does (writeWorksite); seeding and
// tools use it. Errors: ECONFLICT when a live worksite (liveWorksite) is
// registered at the (address, unit) pair; an ended one frees it.
func (s *Store) CreateWorksite(ctx context.Context, reg domain.WorksiteRegistration, at time.Time, audit domain.AuditEvent) (domain.Worksite, error) {
	for attempt := 0; ; attempt++ {
		id, err := domain.NewWorksiteID(nil)
		if err != nil {
			return domain.Worksite{}, err
		}
		collided := false
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var n int64
			if err := tx.Model(&worksiteRow{}).Where("id = ?", id).Count(&n).Error; err != nil || n > 0 {
				collided = n > 0
				return translate(err)
			}
			return translate(s.writeWorksite(tx, domain.WorksiteWrite{ID: id, Registration: reg, RegisteredAt: at, Audit: audit}))
		})
		switch {
		case collided && attempt < maxIDAttempts:
			continue // 36^7 IDs make this rare
		case collided:
			return domain.Worksite{}, fmt.Errorf("store: no free worksite ID after %d attempts", attempt+1)
		case err != nil:
			return domain.Worksite{}, err
		}
		return s.GetWorksite(ctx, id)
	}
}

// endedStates are domain.EndedWorksiteStates as column values; migration
// 21's partial unique index names the same states.
var endedStates = func() []string {
	var out []string
	for _, st := range domain.EndedWorksiteStates() {
		out = append(out, string(st))
	}
	return out
}()

// liveWorksite narrows q to live worksites: those not rejected, lapsed or
// closed. Only they hold an address and can be joined.
func liveWorksite(q *gorm.DB) *gorm.DB {
	return q.Where("state NOT IN ?", endedStates)
}

// newWorksiteRow is the row of a registration at at, without its ID.
func newWorksiteRow(reg domain.WorksiteRegistration, at time.Time) worksiteRow {
	at = at.UTC()
	return worksiteRow{
		Name: reg.Name, Phone: reg.Phone, Extension: reg.Extension, Email: reg.Email,
		Unit: reg.Address.Unit, StreetNumber: reg.Address.StreetNumber, StreetName: reg.Address.StreetName,
		City: reg.Address.City, Province: reg.Address.Province, PostalCode: reg.Address.PostalCode,
		AddressKey: domain.AddressKey(reg.Address), StreetKey: domain.StreetKey(reg.Address), UnitKey: domain.UnitKey(reg.Address.Unit),
		LocationType: string(reg.LocationType), SubOption: reg.SubOption, OtherDescription: reg.OtherDescription,
		EMR: reg.EMR, ContactName: reg.ContactName, AdminName: reg.Administrator.Name, AdminEmail: reg.Administrator.Email, AdminSubject: reg.Administrator.Subject,
		RegisteredAt: at, State: StateRegistering, StatusJSON: "{}", UpdatedAt: at,
	}
}

var errAddressTaken = &domain.Error{Code: domain.ECONFLICT,
	Message: "a worksite is already registered at this address and unit; ask its site administrator to invite you, or request to join it"}

// GetWorksite returns a worksite. Errors: ENOTFOUND.
func (s *Store) GetWorksite(ctx context.Context, id string) (domain.Worksite, error) {
	var row worksiteRow
	if err := s.db.WithContext(ctx).Select(worksiteColumns).Take(&row, "id = ?", id).Error; err != nil {
		if domain.ErrorCode(translate(err)) == domain.ENOTFOUND {
			return domain.Worksite{}, domain.Errorf(domain.ENOTFOUND, "no worksite with ID %s", id)
		}
		return domain.Worksite{}, translate(err)
	}
	return row.worksite(), nil
}

// CountWorksites counts all worksites; tests use it to prove a refused request stored nothing.
func (s *Store) CountWorksites(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&worksiteRow{}).Count(&n).Error
	return n, translate(err)
}

// SaveWorksiteStatus writes the status projection unless a newer one (higher Seq) is stored.
// Errors: ENOTFOUND for an unknown worksite.
func (s *Store) SaveWorksiteStatus(ctx context.Context, st domain.WorksiteStatus) error {
	return translateTx(saveWorksiteStatus(s.db.WithContext(ctx), st))
}

// saveWorksiteStatus is SaveWorksiteStatus on db (a transaction or not).
func saveWorksiteStatus(db *gorm.DB, st domain.WorksiteStatus) error {
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: status: %w", err)
	}
	upd := map[string]any{
		"state": string(st.State), "waiting_on": string(st.WaitingOn), "stalled": st.Stalled,
		"escalated": st.Escalated, "breached": st.Breached, "status_json": string(js), "status_seq": st.Seq,
		"updated_at": time.Now().UTC(), "next_milestone_kind": "", "next_milestone_at": nil, "waiting_since": nil,
	}
	if !st.WaitingSince.IsZero() {
		upd["waiting_since"] = st.WaitingSince.UTC()
	}
	if st.NextMilestone != nil {
		upd["next_milestone_kind"] = string(st.NextMilestone.Kind)
		upd["next_milestone_at"] = st.NextMilestone.At.UTC()
	}
	res := db.Model(&worksiteRow{}).Where("id = ? AND status_seq <= ?", st.WorksiteID, st.Seq).Updates(upd)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		var n int64
		if err := db.Model(&worksiteRow{}).Where("id = ?", st.WorksiteID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return worksiteNotFound(st.WorksiteID)
		}
	}
	return nil
}

// GetWorksiteStatus returns the projected status. Errors: ENOTFOUND.
func (s *Store) GetWorksiteStatus(ctx context.Context, id string) (domain.WorksiteStatus, error) {
	var row worksiteRow
	if err := s.db.WithContext(ctx).Select("id", "state", "status_json").First(&row, "id = ?", id).Error; err != nil {
		if domain.ErrorCode(translate(err)) == domain.ENOTFOUND {
			return domain.WorksiteStatus{}, domain.Errorf(domain.ENOTFOUND, "no worksite with ID %s", id)
		}
		return domain.WorksiteStatus{}, translate(err)
	}
	st := domain.WorksiteStatus{WorksiteID: id, State: domain.WorksiteState(row.State)}
	if err := json.Unmarshal([]byte(row.StatusJSON), &st); err != nil {
		return domain.WorksiteStatus{}, fmt.Errorf("store: status of %s: %w", id, err)
	}
	st.WorksiteID = id
	if st.State == "" {
		st.State = domain.WorksiteState(row.State)
	}
	return st, nil
}

// WorksiteSummary is domain.WorksiteSummary: the read model is the domain's, so the
// application layer names it without importing the store.
type WorksiteSummary = domain.WorksiteSummary

// WorksiteFilter is domain.WorksiteFilter: the read model is the domain's, so the
// application layer names it without importing the store.
type WorksiteFilter = domain.WorksiteFilter

// worksiteSummaryColumns are what ListWorksites reads: not the JSON
// projections (status, membership), which grow with a worksite's history.
var worksiteSummaryColumns = []string{"id", "name", "location_type", "unit", "street_number", "street_name", "city", "province",
	"postal_code", "state", "waiting_on", "waiting_since", "next_milestone_kind", "next_milestone_at", "stalled", "escalated",
	"breached", "registered_at"}

// ListWorksites lists worksites from the projection, longest waiting first.
func (s *Store) ListWorksites(ctx context.Context, f WorksiteFilter) ([]WorksiteSummary, error) {
	f.Limit = pageLimit(f.Limit)
	rows, err := worksiteListQuery(s.db.WithContext(ctx), f).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	return scanWorksiteSummaries(rows, min(f.Limit, 128))
}

// scanWorksiteSummaries reads rows of worksiteSummaryColumns.
func scanWorksiteSummaries(rows *sql.Rows, capacity int) ([]WorksiteSummary, error) {
	// Scanned by hand: gorm's reflective scan of each row cost as much as the query.
	out := make([]WorksiteSummary, 0, capacity)
	for rows.Next() {
		var (
			w                    WorksiteSummary
			lt                   string
			a                    domain.Address
			waitingSince, nextAt sql.NullTime
		)
		if err := rows.Scan(&w.ID, &w.Name, &lt, &a.Unit, &a.StreetNumber, &a.StreetName, &a.City, &a.Province, &a.PostalCode,
			&w.State, &w.WaitingOn, &waitingSince, &w.NextMilestoneKind, &nextAt, &w.Stalled, &w.Escalated, &w.Breached,
			&w.RegisteredAt); err != nil {
			return nil, translate(err)
		}
		w.LocationType, w.Address, w.RegisteredAt = domain.LocationType(lt), a.String(), w.RegisteredAt.UTC()
		w.WaitingSince, w.NextMilestoneAt = utcNullTime(waitingSince), utcNullTime(nextAt)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// worksiteListQuery is ListWorksites' statement for f (whose Limit is set).
func worksiteListQuery(db *gorm.DB, f WorksiteFilter) *gorm.DB {
	q := narrow(db.Model(&worksiteRow{}).Select(worksiteSummaryColumns),
		f.Escalated, eq{"state", f.State}, eq{"waiting_on", f.WaitingOn}, eq{"location_type", f.LocationType})
	return q.Order(clause.OrderByColumn{Column: clause.Column{Name: "registered_at"}}).Order("id").Limit(f.Limit)
}

// utcNullTime is t in UTC, or nil when t is NULL.
func utcNullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// declarationRow is the declarations table.
type declarationRow struct {
	WorksiteID       string `gorm:"primaryKey"`
	SignerName       string
	SignerTitle      string
	SignerEmail      string
	Attestations     string
	Screenshot       []byte
	ScreenshotType   string
	ScreenshotSHA256 string `gorm:"column:screenshot_sha256"`
	SignedAt         time.Time
	RequestID        string
}

func (declarationRow) TableName() string { return "declarations" }

// CreateDeclaration stores a signed declaration with its screenshot.
// Errors: ECONFLICT when the worksite's declaration is already stored.
func (s *Store) CreateDeclaration(ctx context.Context, d domain.Declaration, requestID string) error {
	att, err := json.Marshal(d.Attestation)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	row := declarationRow{WorksiteID: d.WorksiteID, SignerName: d.SignerName, SignerTitle: d.SignerTitle,
		SignerEmail: d.SignerEmail, Attestations: string(att), Screenshot: d.Screenshot, ScreenshotType: d.ScreenshotType,
		ScreenshotSHA256: d.ScreenshotSHA, SignedAt: d.SignedAt.UTC(), RequestID: requestID}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		err = translate(err)
		if domain.ErrorCode(err) == domain.ECONFLICT {
			return domain.Errorf(domain.ECONFLICT, "the Privacy & Security Declaration for this worksite is already signed")
		}
		return err
	}
	return nil
}

// GetDeclaration returns a worksite's declaration. Errors: ENOTFOUND.
func (s *Store) GetDeclaration(ctx context.Context, worksiteID string) (domain.Declaration, error) {
	var row declarationRow
	if err := s.db.WithContext(ctx).First(&row, "worksite_id = ?", worksiteID).Error; err != nil {
		if domain.ErrorCode(translate(err)) == domain.ENOTFOUND {
			return domain.Declaration{}, domain.Errorf(domain.ENOTFOUND, "worksite %s has no signed declaration", worksiteID)
		}
		return domain.Declaration{}, translate(err)
	}
	d := domain.Declaration{WorksiteID: row.WorksiteID, SignerName: row.SignerName, SignerTitle: row.SignerTitle,
		SignerEmail: row.SignerEmail, SignedAt: row.SignedAt.UTC(), Screenshot: row.Screenshot,
		ScreenshotType: row.ScreenshotType, ScreenshotSHA: row.ScreenshotSHA256}
	if err := json.Unmarshal([]byte(row.Attestations), &d.Attestation); err != nil {
		return domain.Declaration{}, fmt.Errorf("store: declaration attestations: %w", err)
	}
	return d, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// auditRow is the audit_events table.
type auditRow struct {
	ID         string `gorm:"primaryKey"`
	At         time.Time
	Actor      string
	ActorName  string
	Role       string
	WorksiteID string
	Subject    string
	Action     string
	Detail     string
	RequestID  string
}

func (auditRow) TableName() string { return "audit_events" }

// RecordAudit stores e. With e.Key set it is idempotent: the key is the row ID.
func (s *Store) RecordAudit(ctx context.Context, e domain.AuditEvent) error {
	return translate(createAudit(s.db.WithContext(ctx), e))
}

func createAudit(tx *gorm.DB, e domain.AuditEvent) error {
	id := e.Key
	if id == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		id = hex.EncodeToString(b)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	row := auditRow{ID: id, At: e.At.UTC(), Actor: e.Actor, ActorName: e.ActorName, Role: e.Role, WorksiteID: e.WorksiteID,
		Subject: e.Subject, Action: e.Action, Detail: e.Detail, RequestID: e.RequestID}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// ListAudit returns a subject's audit timeline, oldest first, each
// record naming its actor (see readAudit).
func (s *Store) ListAudit(ctx context.Context, subject string) ([]domain.AuditEvent, error) {
	return s.readAudit(ctx, func(q *gorm.DB) *gorm.DB { return q.Where("a.subject = ?", subject) })
}

// auditRead is an audit record with its actor's name now.
type auditRead struct {
	At                                                  time.Time
	Actor, ActorName, Role, WorksiteID, Subject, Action string
	Detail, RequestID, CurrentName                      string
}

// readAudit returns the audit records where picks, oldest first. Each
// names its actor: by the name recorded with the record (the name at the
// time), else by the person's preferred or legal name now, else (a
// member of the team) by the name they last signed in with, and in words
// (domain.Labels.AuditActor) that never show the subject ID.
func (s *Store) readAudit(ctx context.Context, where func(*gorm.DB) *gorm.DB) ([]domain.AuditEvent, error) {
	var rows []auditRead
	q := s.db.WithContext(ctx).Table("audit_events AS a").
		Select(`a.at, a.actor, a.actor_name, a.role, a.worksite_id, a.subject, a.action, a.detail, a.request_id,
			COALESCE(NULLIF(TRIM(COALESCE(NULLIF(ac.preferred_first, ''), p.legal_first, '') || ' ' ||
			COALESCE(NULLIF(ac.preferred_last, ''), p.legal_last, '')), ''), n.name, '') AS current_name`).
		Joins("LEFT JOIN people p ON p.subject = a.actor").
		Joins("LEFT JOIN accounts ac ON ac.subject = a.actor").
		Joins("LEFT JOIN actor_names n ON n.subject = a.actor")
	if err := where(q).Order("a.at").Order("a.id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	labels := domain.DefaultLabels()
	out := make([]domain.AuditEvent, len(rows))
	for i, r := range rows {
		name := r.ActorName
		if name == "" {
			name = r.CurrentName
		}
		out[i] = domain.AuditEvent{At: r.At.UTC(), Actor: r.Actor, ActorName: name, Role: r.Role, WorksiteID: r.WorksiteID,
			Subject: r.Subject, Action: r.Action, Detail: r.Detail, RequestID: r.RequestID}
		out[i].ActorLabel = labels.AuditActor(out[i])
	}
	return out, nil
}
