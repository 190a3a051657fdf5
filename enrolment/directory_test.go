package enrolment_test

import (
	"context"
	"testing"

	"careconnect/domain"
	"careconnect/enrolment"
)

func TestFindPeople(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		by   enrolment.Caller
		req  enrolment.ListRequest
		code string
	}{
		{"anonymous", anonymous, enrolment.ListRequest{}, domain.EUNAUTHORIZED},
		{"an applicant", ada, enrolment.ListRequest{}, domain.EFORBIDDEN},
		{"a bad cursor", tess, enrolment.ListRequest{Cursor: "nope"}, domain.EINVALID},
		{"a page too big", tess, enrolment.ListRequest{Limit: "501"}, domain.EINVALID},
		{"not a number", tess, enrolment.ListRequest{Limit: "ten"}, domain.EINVALID},
		{"found", tess, enrolment.ListRequest{Text: "  Ada  LOVELACE ", Limit: "10"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var asked domain.ListQuery
			f.store.FindPeopleFn = func(_ context.Context, q domain.ListQuery) (domain.PeoplePage, error) {
				asked = q
				return domain.PeoplePage{People: []domain.PersonHit{{Subject: "ada"}}, Total: 1}, nil
			}
			page, err := f.service().FindPeople(ctx, c.by, c.req)
			wantCode(t, err, c.code)
			if c.code == "" && (asked.Text != "ada lovelace" || asked.Limit != 10 || page.Total != 1) {
				t.Errorf("asked %+v, got %+v; want the text normalised and the page size", asked, page)
			}
		})
	}
}

// An export follows the cursor through every page.
func TestExportPeople(t *testing.T) {
	f := newFixture(t)
	calls := 0
	f.store.FindPeopleFn = func(_ context.Context, q domain.ListQuery) (domain.PeoplePage, error) {
		calls++
		if len(q.Cursor.Keys) == 0 {
			return domain.PeoplePage{People: []domain.PersonHit{{Subject: "a"}}, Total: 2, NextCursor: domain.Cursor{Keys: []string{"x", "y", "a"}}.String()}, nil
		}
		return domain.PeoplePage{People: []domain.PersonHit{{Subject: "b"}}, Total: 2}, nil
	}
	got, err := f.service().ExportPeople(context.Background(), tess, "")
	if err != nil || len(got) != 2 || calls != 2 {
		t.Errorf("export %+v, %v after %d pages; want both people from two pages", got, err, calls)
	}
}

func TestFindWorksitesFilters(t *testing.T) {
	f := newFixture(t)
	var filter domain.WorksiteFilter
	f.store.FindWorksitesFn = func(_ context.Context, q domain.ListQuery, fl domain.WorksiteFilter) (domain.WorksitePage, error) {
		filter = fl
		return domain.WorksitePage{Worksites: []domain.WorksiteSummary{}}, nil
	}
	_, err := f.service().FindWorksites(context.Background(), tess, enrolment.WorksiteListRequest{ListRequest: enrolment.ListRequest{Text: "broadway"}, State: "approved"})
	if err != nil || filter.State != "approved" {
		t.Errorf("filter %+v, %v; want the state passed on", filter, err)
	}
	_, err = f.service().FindWorksites(context.Background(), ada, enrolment.WorksiteListRequest{})
	wantCode(t, err, domain.EFORBIDDEN)
}
