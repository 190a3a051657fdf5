package enrolment

import (
	"context"
	"strconv"

	"careconnect/authz"
	"careconnect/domain"
)

// ListRequest is a team list's search as the caller sent it: the text,
// the cursor of the page, and the page size ("" for the default).
type ListRequest struct {
	Text, Cursor, Limit string
}

// listQuery checks and reads a ListRequest whose cursor has n keys.
// Errors: EINVALID (fields "q", "cursor", "limit").
func listQuery(r ListRequest, n int) (domain.ListQuery, error) {
	text, err := domain.SearchText(r.Text)
	if err != nil {
		return domain.ListQuery{}, err
	}
	c, err := domain.ParseCursor(r.Cursor, n)
	if err != nil {
		return domain.ListQuery{}, err
	}
	limit := 0
	if r.Limit != "" {
		if limit, err = strconv.Atoi(r.Limit); err != nil {
			return domain.ListQuery{}, (domain.FieldErrors{"limit": "must be a whole number from 1 to 500"}).Err()
		}
	}
	if limit, err = domain.PageSize(limit); err != nil {
		return domain.ListQuery{}, err
	}
	return domain.ListQuery{Text: text, Cursor: c, Limit: limit}, nil
}

// FindPeople is one page of the team's people list: those whose names
// (legal or preferred), email or username contain the text. Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) FindPeople(ctx context.Context, by Caller, r ListRequest) (domain.PeoplePage, error) {
	if err := authorize(by, authz.TeamReadPerson, authz.Resource{}); err != nil {
		return domain.PeoplePage{}, err
	}
	q, err := listQuery(r, 3)
	if err != nil {
		return domain.PeoplePage{}, err
	}
	return s.store.FindPeople(ctx, q)
}

// ExportPeople is every person FindPeople's text matches, from the first
// page, for a CSV export (at most domain.MaxExport). Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) ExportPeople(ctx context.Context, by Caller, text string) ([]domain.PersonHit, error) {
	if err := authorize(by, authz.TeamReadPerson, authz.Resource{}); err != nil {
		return nil, err
	}
	q, err := listQuery(ListRequest{Text: text}, 3)
	if err != nil {
		return nil, err
	}
	q.Limit = domain.MaxPageSize
	return exportPages(3, func(c domain.Cursor) ([]domain.PersonHit, string, error) {
		q.Cursor = c
		page, err := s.store.FindPeople(ctx, q)
		return page.People, page.NextCursor, err
	})
}

// exportPages reads a team list for a CSV export: the first page (the
// zero cursor) and each page its cursor names, keys sort keys long, until
// the last page or until domain.MaxExport rows are read.
func exportPages[T any](keys int, page func(domain.Cursor) ([]T, string, error)) ([]T, error) {
	out := []T{}
	var c domain.Cursor
	for len(out) < domain.MaxExport {
		rows, next, err := page(c)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if next == "" {
			break
		}
		if c, err = domain.ParseCursor(next, keys); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WorksiteListRequest is the team's worksite list: a search and its filters.
type WorksiteListRequest struct {
	ListRequest
	State, WaitingOn string
}

// FindWorksites is one page of the team's worksite list: those whose
// name, ID or address contain the text, in the state and waiting on the
// party asked. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) FindWorksites(ctx context.Context, by Caller, r WorksiteListRequest) (domain.WorksitePage, error) {
	if err := authorize(by, authz.TeamListWorksites, authz.Resource{}); err != nil {
		return domain.WorksitePage{}, err
	}
	q, err := listQuery(r.ListRequest, 2)
	if err != nil {
		return domain.WorksitePage{}, err
	}
	return s.store.FindWorksites(ctx, q, domain.WorksiteFilter{State: r.State, WaitingOn: r.WaitingOn})
}

// ExportWorksites is every worksite FindWorksites' search matches, for a
// CSV export (at most domain.MaxExport). Errors: EUNAUTHORIZED,
// EFORBIDDEN, EINVALID.
func (s *Service) ExportWorksites(ctx context.Context, by Caller, r WorksiteListRequest) ([]domain.WorksiteSummary, error) {
	if err := authorize(by, authz.TeamListWorksites, authz.Resource{}); err != nil {
		return nil, err
	}
	r.Cursor, r.Limit = "", ""
	q, err := listQuery(r.ListRequest, 2)
	if err != nil {
		return nil, err
	}
	q.Limit = domain.MaxPageSize
	f := domain.WorksiteFilter{State: r.State, WaitingOn: r.WaitingOn}
	return exportPages(2, func(c domain.Cursor) ([]domain.WorksiteSummary, string, error) {
		q.Cursor = c
		page, err := s.store.FindWorksites(ctx, q, f)
		return page.Worksites, page.NextCursor, err
	})
}
