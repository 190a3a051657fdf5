package store

import (
	"context"

	"gorm.io/gorm"

	"careconnect/domain"
)

// SaveProjection writes what one workflow task of an enrolment changed, in
// one transaction: a worksite's status and membership, or a person's
// status and applications, and the audit records. Each part is written
// unless a newer one (higher sequence number) is stored, and each audit
// record once per key, so a retried write changes nothing. The emails and
// member notices go into the outbox in the same transaction, once per key
// (see outbox.go). Errors:
// ENOTFOUND for an unknown worksite; ECONFLICT when a membership lists a
// subject twice (nothing is written then).
func (s *Store) SaveProjection(ctx context.Context, p domain.Projection) error {
	if p.Empty() {
		return nil
	}
	return translateTx(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if st := p.Worksite; st != nil {
			if err := saveWorksiteStatus(tx, *st); err != nil {
				return err
			}
		}
		if m := p.Membership; m != nil {
			if err := saveMembership(tx, m.WorksiteID, m.Membership, m.Seq); err != nil {
				return err
			}
		}
		if st := p.User; st != nil {
			if err := saveUserStatus(tx, *st); err != nil {
				return err
			}
		}
		for _, a := range p.Applications {
			if err := saveApplication(tx, a.Subject, a.Name, a.Profession, a.Application, a.Seq); err != nil {
				return err
			}
		}
		for _, e := range p.Audits {
			if err := createAudit(tx, e); err != nil {
				return err
			}
		}
		return insertOutbox(tx, p)
	}))
}
