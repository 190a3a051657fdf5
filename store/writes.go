package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"careconnect/domain"
)

// The writes the workflows own (domain.Write): the API never makes them
// itself; a workflow's projection write (ApplyProjection) makes them, first,
// in its transaction. Each is idempotent, because a local activity may run
// again after it committed (a worker that died before its workflow task
// completed): a second run of the same write changes nothing.

// uploadRow is the uploads table: a validated screenshot staged for the
// declaration that a worksite workflow will store from it.
type uploadRow struct {
	ID          string `gorm:"primaryKey"`
	WorksiteID  string
	Content     []byte
	ContentType string
	SHA256      string `gorm:"column:sha256"`
	CreatedAt   time.Time
}

func (uploadRow) TableName() string { return "uploads" }

// StageUpload stores a declaration's validated screenshot under a new
// random ID, which the sign-declaration update carries instead of the
// bytes. Errors: EUNAVAILABLE.
func (s *Store) StageUpload(ctx context.Context, worksiteID string, content []byte, contentType, sha string, at time.Time) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	row := uploadRow{ID: hex.EncodeToString(b), WorksiteID: worksiteID, Content: content, ContentType: contentType, SHA256: sha,
		CreatedAt: at.UTC()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return "", translate(err)
	}
	return row.ID, nil
}

// SweepUploads deletes the staged uploads older than before (no workflow
// claimed them: their update was refused or never arrived) and says how many.
func (s *Store) SweepUploads(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", before.UTC()).Delete(&uploadRow{})
	return res.RowsAffected, translate(res.Error)
}

// CountUploads counts staged uploads; tests use it.
func (s *Store) CountUploads(ctx context.Context) (int64, error) {
	var n int64
	return n, translate(s.db.WithContext(ctx).Model(&uploadRow{}).Count(&n).Error)
}

// applyWrites makes p's writes on tx, each in its own savepoint: a write
// refused for a business reason (domain.Refusable) is rolled back alone
// and reported; any other failure fails the whole projection write.
func (s *Store) applyWrites(tx *gorm.DB, writes []domain.Write) ([]domain.WriteRefusal, error) {
	var refused []domain.WriteRefusal
	for _, w := range writes {
		err := tx.Transaction(func(tx *gorm.DB) error { return s.applyWrite(tx, w) })
		if err == nil {
			continue
		}
		if de, ok := domain.Refusable(asWriteError(err)); ok {
			refused = append(refused, domain.WriteRefusal{Key: w.Key, Code: de.Code, Message: de.Message, Fields: de.Fields})
			continue
		}
		return nil, err
	}
	return refused, nil
}

// asWriteError is err as the domain error it stands for.
func asWriteError(err error) error {
	if de := asDomain(err); de != nil {
		return de
	}
	return translate(err)
}

// applyWrite makes one write.
func (s *Store) applyWrite(tx *gorm.DB, w domain.Write) error {
	switch {
	case w.Person != nil:
		return writePerson(tx, *w.Person)
	case w.Worksite != nil:
		return s.writeWorksite(tx, *w.Worksite)
	case w.Declaration != nil:
		return writeDeclaration(tx, *w.Declaration)
	case w.Account != nil:
		return s.writeAccount(tx, *w.Account)
	case w.Password != nil:
		p := w.Password
		return updateAccount(tx, p.Subject, map[string]any{"password_hash": p.Hash, "password_changed_at": p.At.UTC()}, p.Audit)
	case w.Profession != nil:
		p := w.Profession
		js, err := json.Marshal(p.ProfessionIDs)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return updateAccount(tx, p.Subject, map[string]any{"profession": p.Profession, "profession_ids": string(js)}, p.Audit)
	case w.WorksiteDetails != nil:
		d := w.WorksiteDetails
		return updateWorksiteDetails(tx, d.WorksiteID, d.Details, d.Audit)
	case w.Classification != nil:
		c := w.Classification
		return s.updateClassification(tx, c.WorksiteID, c.Address, c.LocationType, c.SubOption, c.OtherDescription, c.Audit)
	case w.AccountChange != nil:
		return s.changeAccount(tx, *w.AccountChange)
	case w.EmailLink != nil:
		return s.nextEmailLink(tx, *w.EmailLink)
	case w.EmailConfirm != nil:
		_, err := s.confirmEmail(tx, *w.EmailConfirm)
		return err
	}
	return domain.Errorf(domain.EINVALID, "store: an empty write")
}

// writePerson inserts a person's row at their first sign-in, or sets the
// legal names of the row there already (a re-run changes nothing). The
// status columns are left to the projection written with it.
func writePerson(tx *gorm.DB, p domain.PersonWrite) error {
	at := p.At.UTC()
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "subject"}},
		DoUpdates: clause.AssignmentColumns([]string{"legal_first", "legal_last"})}).Create(&personRow{
		Subject: p.Subject, LegalFirst: p.LegalFirst, LegalLast: p.LegalLast, State: string(domain.UserIdentityValidated),
		StatusJSON: "{}", CreatedAt: at, UpdatedAt: at}).Error
}

// writeWorksite inserts a registration under its minted ID, unless that
// row is there already (this write ran before). Errors: ECONFLICT (another
// worksite has the address and unit).
func (s *Store) writeWorksite(tx *gorm.DB, w domain.WorksiteWrite) error {
	var n int64
	if err := tx.Model(&worksiteRow{}).Where("id = ?", w.ID).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	row := newWorksiteRow(w.Registration, w.RegisteredAt)
	row.ID = w.ID
	if err := liveWorksite(tx.Model(&worksiteRow{})).Where("address_key = ? AND unit_key = ?", row.AddressKey, row.UnitKey).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return errAddressTaken
	}
	if err := tx.Create(&row).Error; err != nil {
		if domain.ErrorCode(translate(err)) == domain.ECONFLICT {
			return errAddressTaken // a concurrent registration took the address
		}
		return err
	}
	audit := w.Audit
	audit.WorksiteID, audit.Subject = w.ID, "worksite:"+w.ID
	return createAudit(tx, audit)
}

// writeDeclaration stores a declaration from its staged upload and deletes
// the upload; a declaration stored already (this write ran before) stays.
func writeDeclaration(tx *gorm.DB, d domain.DeclarationWrite) error {
	var n int64
	if err := tx.Model(&declarationRow{}).Where("worksite_id = ?", d.WorksiteID).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	var up uploadRow
	if err := tx.Take(&up, "id = ? AND worksite_id = ?", d.UploadID, d.WorksiteID).Error; err != nil {
		// Swept, or never staged: nothing can make this write.
		return domain.Errorf(domain.ENOTFOUND, "store: upload %s of worksite %s is gone", d.UploadID, d.WorksiteID)
	}
	att, err := json.Marshal(d.Attestation)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	row := declarationRow{WorksiteID: d.WorksiteID, SignerName: d.SignerName, SignerTitle: d.SignerTitle,
		SignerEmail: d.SignerEmail, Attestations: string(att), Screenshot: up.Content, ScreenshotType: up.ContentType,
		ScreenshotSHA256: up.SHA256, SignedAt: d.SignedAt.UTC(), RequestID: d.RequestID}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return err
	}
	return tx.Delete(&uploadRow{}, "id = ?", up.ID).Error
}

// writeAccount stores an account, unless the person's account is there
// with this registration's username already (this write ran before).
// Errors: ECONFLICT (an account already, the username taken, or the email
// confirmed by another account).
func (s *Store) writeAccount(tx *gorm.DB, a domain.AccountWrite) error {
	var mine accountRow
	if err := tx.Select("subject", "username_key").Take(&mine, "subject = ?", a.Subject).Error; err == nil {
		if mine.UsernameKey == domain.NormaliseUsername(a.Registration.Username) {
			return nil
		}
	}
	row, err := newAccountRow(a.Subject, a.Registration, a.PasswordHash, a.At)
	if err != nil {
		return err
	}
	row.EmailNonce = a.EmailNonce
	var person personRow
	if err := tx.First(&person, "subject = ?", a.Subject).Error; err != nil {
		return err
	}
	if err := s.accountConflicts(tx, a.Subject, row.Email, row.UsernameKey, true); err != nil {
		return err
	}
	if err := tx.Create(&row).Error; err != nil {
		if domain.ErrorCode(translate(err)) == domain.ECONFLICT {
			// Lost a race with a concurrent registration; say which field clashed.
			if cerr := s.accountConflicts(tx, a.Subject, row.Email, row.UsernameKey, true); cerr != nil {
				return cerr
			}
		}
		return err
	}
	return createAudit(tx, a.Audit)
}

// updateAccount sets cols on subject's account, with its audit record.
// Errors: ENOTFOUND.
func updateAccount(tx *gorm.DB, subject string, cols map[string]any, audit domain.AuditEvent) error {
	cols["updated_at"] = time.Now().UTC()
	res := tx.Model(&accountRow{}).Where("subject = ?", subject).Updates(cols)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return gorm.ErrRecordNotFound
	}
	return createAudit(tx, audit)
}
