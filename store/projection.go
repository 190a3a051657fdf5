package store

import (
	"context"
	"errors"

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
	res, err := s.ApplyProjection(ctx, p)
	if err == nil && len(res.Refused) > 0 {
		err = res.Refused[0].Err()
	}
	return err
}

// ApplyProjection is SaveProjection for a workflow: it makes p's writes
// first (domain.Write, each idempotent) and reports those refused for a
// business reason (a unique address or username); a refusal rolls the
// whole projection back (ProjectResult.RolledBack), so the change that
// carried the write is not stored without it. Errors:
// as SaveProjection's, and a write's other failures.
func (s *Store) ApplyProjection(ctx context.Context, p domain.Projection) (domain.ProjectResult, error) {
	var res domain.ProjectResult
	if p.Empty() {
		return res, nil
	}
	err := translateTx(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if res.Refused, err = s.applyWrites(tx, p.Writes); err != nil {
			return err
		}
		if len(res.Refused) > 0 {
			// A refused write rolls the whole projection back: the change
			// that carried it must not be stored without it.
			res.RolledBack = true
			return errRolledBack
		}
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
	if errors.Is(err, errRolledBack) {
		return res, nil
	}
	if err != nil {
		return domain.ProjectResult{}, err
	}
	return res, nil
}

// errRolledBack ends a projection's transaction whose writes were refused.
var errRolledBack = errors.New("store: a write was refused; the projection is rolled back")
