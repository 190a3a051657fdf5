package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

// memberRow is the memberships table: one row per member of a worksite,
// rebuilt from the projection on every SaveMembership.
type memberRow struct {
	WorksiteID     string `gorm:"primaryKey"`
	Subject        string `gorm:"primaryKey"`
	Name           string
	Email          string
	Profession     string
	UserType       string
	Admin          bool
	Active         bool
	Since          time.Time
	EndsAt         *time.Time
	InactiveSince  *time.Time
	InactiveReason string
}

func (memberRow) TableName() string { return "memberships" }

// unprojected is the membership_json of a worksite whose workflow has not
// projected a membership yet (the column default). SaveMembership always
// writes the three lists, so a projected membership never reads "{}".
const unprojected = "{}"

// memberBatch is the insert batch size: 12 columns a row keeps each
// statement far below the bind variable limits of both databases.
const memberBatch = 200

// SaveMembership writes the projected membership of a worksite (the
// memberships rows rebuilt, and membership_json) unless a newer one (higher
// seq) is stored; an equal seq is written again, so a retried activity is
// harmless. Errors: ENOTFOUND for an unknown worksite; ECONFLICT when m
// lists a subject twice.
func (s *Store) SaveMembership(ctx context.Context, worksiteID string, m domain.Membership, seq int) error {
	return translateTx(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return saveMembership(tx, worksiteID, m, seq) }))
}

// saveMembership is SaveMembership in transaction tx.
func saveMembership(tx *gorm.DB, worksiteID string, m domain.Membership, seq int) error {
	js, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("store: membership: %w", err)
	}
	rows := make([]memberRow, len(m.Members))
	for i, x := range m.Members {
		rows[i] = memberRow{WorksiteID: worksiteID, Subject: x.Subject, Name: x.Name, Email: x.Email,
			Profession: x.Profession, UserType: string(x.UserType), Admin: x.Admin, Active: x.Active,
			Since: x.Since.UTC(), EndsAt: utcPtr(x.EndsAt), InactiveSince: utcPtr(x.InactiveSince), InactiveReason: x.InactiveWhy}
	}
	// The update locks the worksite row until commit, so concurrent saves
	// of one worksite run one after the other and the loser's seq check
	// sees the winner's seq. UpdateColumns leaves updated_at (the status
	// projection's) alone.
	res := tx.Model(&worksiteRow{}).Where("id = ? AND membership_seq <= ?", worksiteID, seq).
		UpdateColumns(map[string]any{"membership_json": string(js), "membership_seq": seq})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		var n int64
		if err := tx.Model(&worksiteRow{}).Where("id = ?", worksiteID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return worksiteNotFound(worksiteID)
		}
		return nil // a newer projection is stored
	}
	if err := tx.Where("worksite_id = ?", worksiteID).Delete(&memberRow{}).Error; err != nil {
		return err
	}
	if err := savePending(tx, worksiteID, m); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, memberBatch).Error
}

// GetMembership returns the projected membership of a worksite: empty
// lists until the workflow first projects one. Errors: ENOTFOUND.
func (s *Store) GetMembership(ctx context.Context, worksiteID string) (domain.Membership, error) {
	var row struct {
		MembershipJSON string `gorm:"column:membership_json"`
	}
	err := s.db.WithContext(ctx).Model(&worksiteRow{}).Select("membership_json").Where("id = ?", worksiteID).Take(&row).Error
	if err != nil {
		return domain.Membership{}, notFoundAs(err, worksiteNotFound(worksiteID))
	}
	var m domain.Membership
	if err := json.Unmarshal([]byte(row.MembershipJSON), &m); err != nil {
		return domain.Membership{}, fmt.Errorf("store: membership of %s: %w", worksiteID, err)
	}
	return m, nil
}

// WorksiteAdmins returns the subjects of the active administrators of a
// worksite, sorted, from the memberships table. Until the workflow first
// projects a membership it returns the registrant (worksites.admin_subject),
// who is the first administrator. Errors: ENOTFOUND.
func (s *Store) WorksiteAdmins(ctx context.Context, worksiteID string) ([]string, error) {
	var row worksiteRow
	if err := s.db.WithContext(ctx).Model(&worksiteRow{}).Select("id, admin_subject, "+membershipProjected+", "+s.activeAdminsJSON()).
		Where("id = ?", worksiteID).Take(&row).Error; err != nil {
		return nil, notFoundAs(err, worksiteNotFound(worksiteID))
	}
	return row.admins()
}

// membershipProjected selects, as "projected", whether the workflow has
// projected a membership (membership_json is no longer unprojected),
// without reading the JSON.
const membershipProjected = "membership_json <> '" + unprojected + "' AS projected"

// activeAdminsJSON selects, as "active_admins", the JSON array of the
// worksite's active administrators from the memberships table, sorted.
func (s *Store) activeAdminsJSON() string {
	if s.dialect == SQLite {
		return `(SELECT json_group_array(subject) FROM (SELECT subject FROM memberships
			WHERE worksite_id = worksites.id AND active AND admin ORDER BY subject)) AS active_admins`
	}
	return `(SELECT coalesce(json_agg(subject ORDER BY subject), '[]') FROM memberships
		WHERE worksite_id = worksites.id AND active AND admin) AS active_admins`
}

// admins are the active administrators of a row read with
// membershipProjected and activeAdminsJSON: from the memberships table once
// projected, the registrant (if known) before.
func (r worksiteRow) admins() ([]string, error) {
	if !r.Projected {
		if r.AdminSubject == "" {
			return []string{}, nil
		}
		return []string{r.AdminSubject}, nil
	}
	subjects := []string{}
	if err := json.Unmarshal([]byte(r.ActiveAdmins), &subjects); err != nil {
		return nil, fmt.Errorf("store: administrators of %s: %w", r.ID, err)
	}
	return subjects, nil
}

// IsActiveMember reports whether subject is an active member of
// worksiteID; before the first projection, only the registrant is. An
// unknown worksite has no members.
func (s *Store) IsActiveMember(ctx context.Context, worksiteID, subject string) (bool, error) {
	if subject == "" {
		return false, nil
	}
	var ok bool
	err := s.db.WithContext(ctx).Raw(`SELECT
		EXISTS (SELECT 1 FROM memberships WHERE worksite_id = ? AND subject = ? AND active = ?)
		OR EXISTS (SELECT 1 FROM worksites WHERE id = ? AND admin_subject = ? AND membership_json = ?)`,
		worksiteID, subject, true, worksiteID, subject, unprojected).Row().Scan(&ok)
	return ok, translate(err)
}

// MemberWorksite is domain.MemberWorksite: the read model is the domain's, so the
// application layer names it without importing the store.
type MemberWorksite = domain.MemberWorksite

// memberWorksiteRow is what MemberWorksites reads of a membership and its worksite.
type memberWorksiteRow struct {
	WorksiteID   string
	Name         string
	Unit         string
	StreetNumber string
	StreetName   string
	City         string
	Province     string
	PostalCode   string
	State        string
	Admin        bool
	Active       bool
	Since        time.Time
}

func (r memberWorksiteRow) memberWorksite() MemberWorksite {
	addr := domain.Address{Unit: r.Unit, StreetNumber: r.StreetNumber, StreetName: r.StreetName, City: r.City,
		Province: r.Province, PostalCode: r.PostalCode}
	return MemberWorksite{WorksiteID: r.WorksiteID, Name: r.Name, AddressLine: addr.String(), State: r.State,
		Admin: r.Admin, Active: r.Active, Since: r.Since.UTC()}
}

// MemberWorksites lists the worksites subject belongs to, active and
// inactive: active first, then by name and ID. A worksite subject
// registered whose membership is not projected yet is listed with subject
// as its active administrator since registration.
func (s *Store) MemberWorksites(ctx context.Context, subject string) ([]MemberWorksite, error) {
	out := []MemberWorksite{}
	if subject == "" {
		return out, nil
	}
	var rows []memberWorksiteRow
	err := s.db.WithContext(ctx).Raw(memberWorksitesSQL, subject, subject, unprojected).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		out = append(out, r.memberWorksite())
	}
	sortMemberWorksites(out)
	return out, nil
}

// memberWorksitesSQL lists a person's worksites in one statement (the
// status page reads it on every poll): the projected memberships, and the
// worksites they registered whose membership is not projected yet, as
// their active administrator. Arguments: subject, subject, unprojected.
const memberWorksitesSQL = `SELECT m.worksite_id, ` + memberWorksiteAddress + `, m.admin, m.active, m.since
		FROM memberships AS m JOIN worksites AS w ON w.id = m.worksite_id WHERE m.subject = ?
	UNION ALL
	SELECT w.id AS worksite_id, ` + memberWorksiteAddress + `, TRUE AS admin, TRUE AS active, w.registered_at AS since
		FROM worksites AS w WHERE w.admin_subject = ? AND w.membership_json = ?`

const memberWorksiteAddress = "w.name, w.unit, w.street_number, w.street_name, w.city, w.province, w.postal_code, w.state"

// sortMemberWorksites puts active memberships first, then by name and ID.
func sortMemberWorksites(out []MemberWorksite) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Active != b.Active {
			return a.Active
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.WorksiteID < b.WorksiteID
	})
}

// Address search limits.
const (
	// MinSearchLen is the fewest characters (after normalisation) SearchWorksites accepts.
	MinSearchLen = 3
	// MaxSearchLen bounds the typed text: longer than any address.
	MaxSearchLen = 200
	// MaxSearchLimit is the most hits SearchWorksites returns.
	MaxSearchLimit = 50
	// searchTailWords is how many trailing words may be city, province and
	// postal code ("100 MILE HOUSE BC V0K 2E0" has six) rather than street.
	searchTailWords = 6
)

// WorksiteHit is domain.WorksiteHit: the read model is the domain's, so the
// application layer names it without importing the store.
type WorksiteHit = domain.WorksiteHit

// SearchWorksites finds the live worksites (those one can join: not
// rejected, lapsed or closed) whose address starts with what a person
// typed, normalised as the address key is ("370 broadway east" finds
// "370 Broadway E"), ordered by address and unit. It answers as the person
// types: a last word still being typed matches both as typed and as the
// street word it may become ("370 Broadway Ea" finds "370 Broadway E").
// What people type is read as (see parseSearch):
//
//   - "370 Broadway E, Vancouver": from the street number;
//   - "101-370 Broadway E": unit, dash, street number (the seeds' order),
//     which finds that unit only;
//   - "Broadway E, Vancouver" or "Broadway": from the street name, at any number.
//
// Wildcards in the input match only themselves.
// Errors: EINVALID (field "address") for fewer than MinSearchLen or more
// than MaxSearchLen characters; EINVALID (field "limit") unless 1 <= limit <= MaxSearchLimit.
func (s *Store) SearchWorksites(ctx context.Context, prefix string, limit int) ([]WorksiteHit, error) {
	plan, err := parseSearch(prefix)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxSearchLimit {
		return nil, &domain.Error{Code: domain.EINVALID, Message: "invalid search",
			Fields: map[string]string{"limit": fmt.Sprintf("must be between 1 and %d", MaxSearchLimit)}}
	}
	var rows []worksiteRow
	if err := s.searchPlanQuery(s.db.WithContext(ctx), plan, limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]WorksiteHit, len(rows))
	for i, r := range rows {
		out[i] = WorksiteHit{ID: r.ID, Name: r.Name, AddressLine: r.worksite().Address.String(),
			LocationType: domain.LocationType(r.LocationType), State: r.State}
	}
	return out, nil
}

// searchPlan is how to look up what a person typed: key prefixes of
// column (address_key from the street number, street_key from the street
// name), and the unit when one was typed before the street number.
type searchPlan struct {
	column string
	keys   []string
	unit   string
}

// unitDashRE is a unit typed before the street number with a dash, as the
// seeds write addresses: "101-370 Broadway E" (unit 101, number 370).
var unitDashRE = regexp.MustCompile(`^\s*#?([A-Za-z0-9]{1,8})\s*-\s*([0-9].*)$`)

// parseSearch reads what a person typed as a searchPlan: a leading
// "unit-number" is split off as the unit; text that starts with a street
// number is searched from it, other text (a numbered street's "6th Ave"
// too: domain.SearchStartsWithStreetName) from the street name.
func parseSearch(typed string) (searchPlan, error) {
	if len(typed) > MaxSearchLen {
		return searchPlan{}, searchErr(fmt.Sprintf("must be at most %d characters", MaxSearchLen))
	}
	var unit string
	if m := unitDashRE.FindStringSubmatch(typed); m != nil {
		unit, typed = domain.UnitKey(m[1]), m[2]
	}
	if domain.SearchStartsWithStreetName(typed) {
		// A street name alone ("Broadway", "6th Ave"): searchKeys reads
		// its first word as the street number, so give it one and take it
		// off again.
		if utf8.RuneCountInString(domain.NormaliseText(typed)) < MinSearchLen {
			return searchPlan{}, searchErr(fmt.Sprintf("type at least %d characters of the address", MinSearchLen))
		}
		keys, err := searchKeys("0 " + typed)
		if err != nil {
			return searchPlan{}, err
		}
		for i, k := range keys {
			keys[i] = strings.TrimPrefix(k, "0 ")
		}
		return searchPlan{column: "street_key", keys: pruneKeys(keys), unit: unit}, nil
	}
	keys, err := searchKeys(typed)
	return searchPlan{column: "address_key", keys: keys, unit: unit}, err
}

// searchQuery is searchPlanQuery for keys of address_key.
func (s *Store) searchQuery(db *gorm.DB, keys []string, limit int) *gorm.DB {
	return s.searchPlanQuery(db, searchPlan{column: "address_key", keys: keys}, limit)
}

// searchPlanQuery selects the live worksites whose p.column starts with
// one of p.keys (at unit p.unit when set), in byte order of the column
// and unit. Each dialect gets the form its index serves:
//
//   - PostgreSQL: COLUMN LIKE 'KEY%', served by worksites_address_prefix
//     or worksites_street_key (text_pattern_ops), which serve LIKE prefixes
//     whatever the database collation; the plain (address_key, unit_key)
//     index does so only under the C collation.
//   - SQLite: the byte range KEY <= COLUMN < next(KEY), served by the
//     (address_key, unit_key) or (street_key, unit_key) index, already in
//     the order asked for. SQLite's LIKE is case-insensitive, so it would
//     use an index only with NOCASE collation or PRAGMA case_sensitive_like,
//     a per-connection setting that changes every LIKE; the range needs
//     neither, and under SQLite's BINARY (memcmp) collation it is exactly a
//     prefix match.
func (s *Store) searchPlanQuery(db *gorm.DB, p searchPlan, limit int) *gorm.DB {
	col := p.column // a constant of parseSearch, never input
	conds := make([]string, len(p.keys))
	var args []any
	for i, k := range p.keys {
		if s.dialect == SQLite {
			if hi, ok := nextPrefix(k); ok {
				conds[i] = "(" + col + " >= ? AND " + col + " < ?)"
				args = append(args, k, hi)
			} else {
				conds[i] = col + " >= ?"
				args = append(args, k)
			}
			continue
		}
		conds[i] = col + ` LIKE ? ESCAPE '\'`
		args = append(args, escapeLike(k)+"%")
	}
	q := liveWorksite(db.Model(&worksiteRow{})).
		Select("id", "name", "unit", "street_number", "street_name", "city", "province", "postal_code", "location_type", "state").
		Where("("+strings.Join(conds, " OR ")+")", args...)
	if p.unit != "" {
		q = q.Where("unit_key = ?", p.unit)
	}
	return q.Order(s.byteOrder(col)).Order(s.byteOrder("unit_key")).Limit(limit)
}

// byteOrder orders by col bytewise, as SQLite's BINARY collation does, so
// results come in the same order on both databases whatever PostgreSQL's
// collation (which may, for one, ignore spaces: "3700 MAIN" before "370 BROADWAY").
func (s *Store) byteOrder(col string) string {
	if s.dialect == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// nextPrefix returns the least string greater than every string starting
// with p (bytewise), and false when there is none (p is all 0xFF bytes,
// which UTF-8 text never is).
func nextPrefix(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// streetAbbr is AddressKey's street word abbreviations.
var streetAbbr = domain.StreetWordAbbreviations()

// searchKeys turns what a person typed into the address key prefixes that
// match it. The key is street number, street name (its street words
// abbreviated), city, province and postal code. Where the street name ends
// in what was typed is unknown, so each of the last searchTailWords words
// may be where the city starts: words before it are abbreviated, words from
// it on are kept ("North Vancouver" stays whole in the key). A last word
// with no space after it may be unfinished, so it matches as a prefix and
// as each street word it may become ("EA" as "EA..." and as "E"); a
// finished word matches only whole. Keys covered by a shorter one are
// dropped.
func searchKeys(typed string) ([]string, error) {
	norm := domain.NormaliseText(typed)
	switch {
	case len(typed) > MaxSearchLen:
		return nil, searchErr(fmt.Sprintf("must be at most %d characters", MaxSearchLen))
	case utf8.RuneCountInString(norm) < MinSearchLen:
		return nil, searchErr(fmt.Sprintf("type at least %d characters of the address", MinSearchLen))
	}
	words := strings.Fields(norm)
	finished := strings.TrimRightFunc(typed, unicode.IsSpace) != typed
	n := len(words)
	var keys []string
	add := func(ws []string, tail string) { keys = append(keys, strings.Join(ws, " ")+tail) }
	for k := max(1, n-searchTailWords); k <= n; k++ {
		ws := slices.Clone(words)
		streetEnd := k // words[1:streetEnd] are street words
		lastIsStreet := k == n && n > 1
		if lastIsStreet && !finished {
			streetEnd = n - 1
		}
		for i := 1; i < streetEnd; i++ {
			if a, ok := streetAbbr[ws[i]]; ok {
				ws[i] = a
			}
		}
		switch {
		case finished:
			add(ws, " ")
		case !lastIsStreet:
			add(ws, "")
		default:
			last := ws[n-1]
			add(ws, "")
			for w, a := range streetAbbr {
				if strings.HasPrefix(w, last) {
					ws[n-1] = a
					add(ws, " ")
				}
			}
		}
	}
	return pruneKeys(keys), nil
}

// pruneKeys sorts keys and drops duplicates and any key another one is a prefix of.
func pruneKeys(keys []string) []string {
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		// Sorted, a key's prefixes come before it, and the kept key just
		// before it is the only kept one that can be its prefix.
		if len(out) > 0 && strings.HasPrefix(k, out[len(out)-1]) {
			continue
		}
		out = append(out, k)
	}
	return out
}

func searchErr(msg string) error {
	return &domain.Error{Code: domain.EINVALID, Message: "invalid address search", Fields: map[string]string{"address": msg}}
}

// addressPrefixIndex is migration 4: the index behind SearchWorksites. It is
// Go rather than SQL because the statement differs by dialect (see
// searchQuery): PostgreSQL gets worksites_address_prefix with
// text_pattern_ops; SQLite has no operator classes and needs no new index,
// since its range query uses the unique (address_key, unit_key) index.
// CREATE INDEX without CONCURRENTLY blocks writes to worksites while it
// builds, which at tens of thousands of rows is a moment.
func addressPrefixIndex(dialect string) *goose.Migration {
	run := func(stmt string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			if dialect != Postgres {
				return nil
			}
			_, err := tx.ExecContext(ctx, stmt)
			return err
		}
	}
	return goose.NewGoMigration(4,
		&goose.GoFunc{RunTx: run("CREATE INDEX worksites_address_prefix ON worksites (address_key text_pattern_ops)")},
		&goose.GoFunc{RunTx: run("DROP INDEX IF EXISTS worksites_address_prefix")})
}

// WorksiteDetails is domain.WorksiteDetails: the read model is the domain's, so the
// application layer names it without importing the store.
type WorksiteDetails = domain.WorksiteDetails

// UpdateWorksiteDetails changes the details an administrator may edit
// (name, phone, extension, email, EMR) and records audit, in one
// transaction. audit's WorksiteID and Subject default to the worksite.
// Errors: ENOTFOUND.
func (s *Store) UpdateWorksiteDetails(ctx context.Context, id string, d WorksiteDetails, audit domain.AuditEvent) (domain.Worksite, error) {
	return s.updateWorksite(ctx, id, detailsUpdate(d), audit, nil, nil)
}

// detailsUpdate is the columns an edit of d changes.
func detailsUpdate(d WorksiteDetails) map[string]any {
	upd := map[string]any{"updated_at": time.Now().UTC()}
	setString(upd, "name", d.Name)
	setString(upd, "phone", d.Phone)
	setString(upd, "extension", d.Extension)
	setString(upd, "email", d.Email)
	setString(upd, "emr", d.EMR)
	return upd
}

// updateWorksiteDetails is UpdateWorksiteDetails on tx, for a workflow's write.
func updateWorksiteDetails(tx *gorm.DB, id string, d WorksiteDetails, audit domain.AuditEvent) error {
	_, err := updateWorksiteTx(tx, id, detailsUpdate(d), audit, nil, nil)
	return err
}

// updateClassification is UpdateWorksiteClassification on tx, for a workflow's write.
func (s *Store) updateClassification(tx *gorm.DB, id string, addr *domain.Address, lt *domain.LocationType,
	subOption, otherDescription *string, audit domain.AuditEvent) error {
	upd, check, taken := classificationUpdate(id, addr, lt, subOption, otherDescription)
	_, err := updateWorksiteTx(tx, id, upd, audit, check, taken)
	return err
}

// UpdateWorksiteClassification changes a worksite's address and/or its
// location type, sub-option and other-description (the enrolment team's
// edits; nil arguments are left alone) and records audit, in one
// transaction. The caller validates and normalises the values, as for a
// registration. audit's WorksiteID and Subject default to the worksite.
// Errors: ENOTFOUND; ECONFLICT (field "address") when another worksite is
// registered at the new address and unit.
func (s *Store) UpdateWorksiteClassification(ctx context.Context, id string, addr *domain.Address, lt *domain.LocationType,
	subOption, otherDescription *string, audit domain.AuditEvent) (domain.Worksite, error) {
	upd, check, taken := classificationUpdate(id, addr, lt, subOption, otherDescription)
	return s.updateWorksite(ctx, id, upd, audit, check, taken)
}

// classificationUpdate is the columns a classification changes, the check
// that the new address is free, and the error a unique violation means.
func classificationUpdate(id string, addr *domain.Address, lt *domain.LocationType,
	subOption, otherDescription *string) (map[string]any, func(tx *gorm.DB) error, *domain.Error) {
	upd := map[string]any{"updated_at": time.Now().UTC()}
	var check func(tx *gorm.DB) error
	if addr != nil {
		key, unit := domain.AddressKey(*addr), domain.UnitKey(addr.Unit)
		for col, v := range map[string]string{"unit": addr.Unit, "street_number": addr.StreetNumber, "street_name": addr.StreetName,
			"city": addr.City, "province": addr.Province, "postal_code": addr.PostalCode, "address_key": key, "unit_key": unit,
			"street_key": domain.StreetKey(*addr)} {
			upd[col] = v
		}
		check = func(tx *gorm.DB) error {
			var other []string
			if err := liveWorksite(tx.Model(&worksiteRow{})).Where("address_key = ? AND unit_key = ? AND id <> ?", key, unit, id).
				Limit(1).Pluck("id", &other).Error; err != nil {
				return err
			}
			if len(other) > 0 {
				return addressTakenBy(other[0])
			}
			return nil
		}
	}
	if lt != nil {
		upd["location_type"] = string(*lt)
	}
	setString(upd, "sub_option", subOption)
	setString(upd, "other_description", otherDescription)
	var taken *domain.Error
	if addr != nil {
		// A concurrent change may take the address between the check and
		// the update; the unique index refuses it.
		taken = addressTakenBy("")
	}
	return upd, check, taken
}

// updateWorksite applies upd to worksite id after check (when set) and
// records audit, in one transaction, and returns the changed worksite. A
// unique violation is reported as taken when set.
func (s *Store) updateWorksite(ctx context.Context, id string, upd map[string]any, audit domain.AuditEvent,
	check func(tx *gorm.DB) error, taken *domain.Error) (domain.Worksite, error) {
	var row worksiteRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		row, err = updateWorksiteTx(lockRow(tx, s.dialect), id, upd, audit, check, taken)
		return err
	})
	if err != nil {
		return domain.Worksite{}, translateTx(err)
	}
	return row.worksite(), nil
}

// updateWorksiteTx is updateWorksite on tx; lock, when it locks rows
// (lockRow), locks the worksite's first.
func updateWorksiteTx(lock *gorm.DB, id string, upd map[string]any, audit domain.AuditEvent,
	check func(tx *gorm.DB) error, taken *domain.Error) (worksiteRow, error) {
	tx := lock.Session(&gorm.Session{NewDB: true})
	if audit.WorksiteID == "" {
		audit.WorksiteID = id
	}
	if audit.Subject == "" {
		audit.Subject = "worksite:" + id
	}
	var row worksiteRow
	err := func() error {
		// Lock the row first, so a missing worksite is ENOTFOUND before any
		// conflict, and a concurrent edit waits for this one.
		var ids []string
		if err := lock.Model(&worksiteRow{}).Where("id = ?", id).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return worksiteNotFound(id)
		}
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		if err := tx.Model(&worksiteRow{}).Where("id = ?", id).UpdateColumns(upd).Error; err != nil {
			if err = translate(err); taken != nil && domain.ErrorCode(err) == domain.ECONFLICT {
				return taken
			}
			return err
		}
		if err := createAudit(tx, audit); err != nil {
			return err
		}
		return tx.First(&row, "id = ?", id).Error
	}()
	return row, err
}

// lockRow makes a PostgreSQL query lock the rows it reads until commit;
// SQLite serialises writers anyway.
func lockRow(tx *gorm.DB, dialect string) *gorm.DB {
	if dialect == Postgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

func setString(upd map[string]any, col string, v *string) {
	if v != nil {
		upd[col] = *v
	}
}

// addressTakenBy is the ECONFLICT of a classification change to the
// address and unit of another worksite, otherID when known.
func addressTakenBy(otherID string) *domain.Error {
	who := "another worksite"
	if otherID != "" {
		who = "worksite " + otherID
	}
	return &domain.Error{Code: domain.ECONFLICT, Message: who + " is already registered at this address and unit",
		Fields: map[string]string{"address": "is the address and unit of " + who}}
}

func worksiteNotFound(id string) *domain.Error {
	return domain.Errorf(domain.ENOTFOUND, "no worksite with ID %s", id)
}

// notFoundAs returns nf when err is a missing row, else err translated.
func notFoundAs(err error, nf *domain.Error) error {
	err = translate(err)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nf
	}
	return err
}

// translateTx translates an error out of a transaction, keeping the domain
// errors the transaction returned itself.
func translateTx(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return translate(err)
}
