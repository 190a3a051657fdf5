package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// mustCreateAt registers a worksite at the given street address and unit,
// with registrant (may be "") as its first administrator.
func mustCreateAt(t *testing.T, s *store.Store, name, number, street, city, unit, registrant string) domain.Worksite {
	t.Helper()
	r := registration(unit)
	r.Name, r.Address.StreetNumber, r.Address.StreetName, r.Address.City = name, number, street, city
	r.Administrator.Subject = registrant
	return mustCreate(t, s, r)
}

func mustSaveMembership(t *testing.T, s *store.Store, id string, m domain.Membership, seq int) {
	t.Helper()
	if err := s.SaveMembership(context.Background(), id, m, seq); err != nil {
		t.Fatalf("SaveMembership(seq %d): %v", seq, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMembershipProjection(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreateAt(t, s, "Proctor Clinic", "370", "Broadway E", "Vancouver", "", "sub-reg")

		// Before the workflow projects a membership, the registrant is the administrator.
		if m, err := s.GetMembership(ctx, w.ID); err != nil || len(m.Members) != 0 {
			t.Errorf("unprojected membership = %+v, %v; want empty", m, err)
		}
		if got, err := s.WorksiteAdmins(ctx, w.ID); err != nil || !reflect.DeepEqual(got, []string{"sub-reg"}) {
			t.Errorf("unprojected admins = %v, %v; want the registrant", got, err)
		}
		if ok, err := s.IsActiveMember(ctx, w.ID, "sub-reg"); err != nil || !ok {
			t.Errorf("IsActiveMember(registrant) before projection = %v, %v; want true", ok, err)
		}

		since := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		ends := since.Add(30 * 24 * time.Hour)
		left := since.Add(48 * time.Hour)
		m := domain.Membership{
			Members: []domain.Member{
				{Subject: "sub-reg", Name: "Dalia Eighteen", Email: "dalia@example.ca", Profession: domain.ProfMOA,
					UserType: domain.Independent, Admin: true, Active: true, Since: since},
				{Subject: "sub-b", Name: "Bo", Email: "bo@example.ca", Profession: domain.ProfMOA, UserType: domain.OnBehalfOf,
					Active: true, Since: since},
				{Subject: "sub-c", Name: "Cy", Email: "cy@example.ca", Profession: domain.ProfMOA, UserType: domain.Authorizer,
					Admin: true, Since: since, InactiveSince: &left, InactiveWhy: "left the clinic"},
				{Subject: "sub-d", Name: "Di", Email: "di@example.ca", Profession: domain.ProfMOA, UserType: domain.Authorizer,
					Admin: true, Active: true, Since: since, EndsAt: &ends},
			},
			Requests: []domain.JoinRequest{{ID: "jr1", Subject: "sub-e", Name: "Ed", Email: "ed@example.ca",
				UserType: domain.OnBehalfOf, Comment: "new MOA", RequestedAt: since}},
			Invitations: []domain.Invitation{{ID: "in1", Email: "fay@example.ca", InvitedBy: "sub-reg", InvitedOn: since,
				LastSentAt: since, EmailsSent: 1, ExpiresAt: since.Add(14 * 24 * time.Hour)}},
		}
		mustSaveMembership(t, s, w.ID, m, 2)
		got, err := s.GetMembership(ctx, w.ID)
		if err != nil || mustJSON(t, got) != mustJSON(t, m) {
			t.Errorf("GetMembership = %+v, %v; want %+v", got, err, m)
		}

		// An older projection arriving late is ignored; the same seq again is harmless.
		mustSaveMembership(t, s, w.ID, domain.Membership{Members: m.Members[:1]}, 1)
		mustSaveMembership(t, s, w.ID, m, 2)
		if got, _ := s.GetMembership(ctx, w.ID); mustJSON(t, got) != mustJSON(t, m) {
			t.Errorf("after an older save: got %+v; want the seq 2 membership", got)
		}
		if got, err := s.WorksiteAdmins(ctx, w.ID); err != nil || !reflect.DeepEqual(got, []string{"sub-d", "sub-reg"}) {
			t.Errorf("admins = %v, %v; want the active administrators sub-d and sub-reg", got, err)
		}
		for _, c := range []struct {
			worksite, subject string
			want              bool
		}{
			{w.ID, "sub-reg", true},
			{w.ID, "sub-b", true},
			{w.ID, "sub-c", false}, // inactive
			{w.ID, "sub-e", false}, // asked to join, not yet a member
			{w.ID, "", false},
			{"NOPE123", "sub-b", false}, // an unknown worksite has no members
		} {
			if ok, err := s.IsActiveMember(ctx, c.worksite, c.subject); err != nil || ok != c.want {
				t.Errorf("IsActiveMember(%s, %q) = %v, %v; want %v", c.worksite, c.subject, ok, err, c.want)
			}
		}

		// A newer projection rebuilds the members: sub-b has left the list.
		m3 := m
		m3.Members = []domain.Member{m.Members[0], m.Members[2], m.Members[3]}
		mustSaveMembership(t, s, w.ID, m3, 3)
		if ok, _ := s.IsActiveMember(ctx, w.ID, "sub-b"); ok {
			t.Error("sub-b is still an active member after a projection without them")
		}
		if list, _ := s.MemberWorksites(ctx, "sub-b"); len(list) != 0 {
			t.Errorf("MemberWorksites(sub-b) = %+v; want none", list)
		}

		// Once projected, there is no fallback: a closed worksite has no active administrators.
		closed := m3
		closed.Members = nil
		for _, x := range m3.Members {
			x.Active = false
			closed.Members = append(closed.Members, x)
		}
		mustSaveMembership(t, s, w.ID, closed, 4)
		if got, err := s.WorksiteAdmins(ctx, w.ID); err != nil || len(got) != 0 {
			t.Errorf("admins of a closed worksite = %v, %v; want none", got, err)
		}
		if ok, _ := s.IsActiveMember(ctx, w.ID, "sub-reg"); ok {
			t.Error("the registrant is still active after every membership was deactivated")
		}

		const missing = "NOPE123"
		if err := s.SaveMembership(ctx, missing, m, 1); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("SaveMembership(unknown) = %v; want ENOTFOUND", err)
		}
		if _, err := s.GetMembership(ctx, missing); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("GetMembership(unknown) = %v; want ENOTFOUND", err)
		}
		if _, err := s.WorksiteAdmins(ctx, missing); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("WorksiteAdmins(unknown) = %v; want ENOTFOUND", err)
		}
	})
}

func TestMembershipDuplicateSubject(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreateAt(t, s, "Proctor Clinic", "370", "Broadway E", "Vancouver", "", "sub-reg")
		x := domain.Member{Subject: "sub-a", Active: true, Since: time.Now()}
		if err := s.SaveMembership(ctx, w.ID, domain.Membership{Members: []domain.Member{x, x}}, 1); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("a subject listed twice: got %v; want ECONFLICT", err)
		}
		// The refused save left nothing behind.
		if got, _ := s.WorksiteAdmins(ctx, w.ID); !reflect.DeepEqual(got, []string{"sub-reg"}) {
			t.Errorf("admins = %v; want the registrant (nothing projected)", got)
		}
	})
}

func TestMemberWorksites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		proctor := mustCreateAt(t, s, "Proctor Clinic", "370", "Broadway E", "Vancouver", "101", "sub-other")
		alpha := mustCreateAt(t, s, "Alpha Clinic", "12", "Main St", "Vancouver", "", "sub-other")
		// Registered by sub-x, membership not projected yet.
		mine := mustCreateAt(t, s, "Zed Clinic", "88", "Oak St", "Burnaby", "", "sub-x")
		since := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		mustSaveMembership(t, s, proctor.ID, domain.Membership{Members: []domain.Member{
			{Subject: "sub-other", Admin: true, Active: true, Since: since},
			{Subject: "sub-x", Active: true, Since: since},
		}}, 1)
		mustSaveMembership(t, s, alpha.ID, domain.Membership{Members: []domain.Member{
			{Subject: "sub-other", Admin: true, Active: true, Since: since},
			{Subject: "sub-x", Admin: true, Since: since},
		}}, 1)

		got, err := s.MemberWorksites(ctx, "sub-x")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.MemberWorksite{
			{WorksiteID: proctor.ID, Name: "Proctor Clinic", AddressLine: "101-370 Broadway E, Vancouver, BC V5T 4G5",
				State: store.StateRegistering, Active: true, Since: since},
			{WorksiteID: mine.ID, Name: "Zed Clinic", AddressLine: "88 Oak St, Burnaby, BC V5T 4G5",
				State: store.StateRegistering, Admin: true, Active: true, Since: mine.RegisteredAt},
			{WorksiteID: alpha.ID, Name: "Alpha Clinic", AddressLine: "12 Main St, Vancouver, BC V5T 4G5",
				State: store.StateRegistering, Admin: true, Since: since},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v; want %+v", got, want)
		}
		for i := range want {
			// Timestamps keep microseconds in PostgreSQL.
			if g, w := got[i], want[i]; g.Since.Sub(w.Since).Abs() > time.Millisecond {
				t.Errorf("row %d: since %v; want %v", i, g.Since, w.Since)
			} else {
				g.Since = w.Since
				if g != w {
					t.Errorf("row %d: got %+v; want %+v", i, g, w)
				}
			}
		}
		if got, err := s.MemberWorksites(ctx, "nobody"); err != nil || got == nil || len(got) != 0 {
			t.Errorf("MemberWorksites(nobody) = %#v, %v; want an empty list", got, err)
		}

		// The status page's one read: the projected status with the same list.
		if _, _, _, err := s.UserStatusView(ctx, "nobody"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("UserStatusView(nobody): %v; want ENOTFOUND", err)
		}
		for _, subject := range []string{"sub-x", "sub-none"} {
			if err := s.EnsurePerson(ctx, subject, "Legal", "Name"); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveUserStatus(ctx, domain.UserStatus{Subject: subject, State: domain.UserAccountRegistered, Seq: 4}); err != nil {
				t.Fatal(err)
			}
			raw, seq, view, err := s.UserStatusView(ctx, subject)
			list, _ := s.MemberWorksites(ctx, subject)
			var st domain.UserStatus
			if err != nil || seq != 4 || json.Unmarshal(raw, &st) != nil || st.State != domain.UserAccountRegistered {
				t.Fatalf("UserStatusView(%s): %s, seq %d, %v; want the seq 4 status", subject, raw, seq, err)
			}
			if view == nil || len(view) != len(list) {
				t.Fatalf("UserStatusView(%s) lists %+v; want %+v", subject, view, list)
			}
			for i := range list {
				if view[i].Since.Sub(list[i].Since).Abs() > time.Millisecond {
					t.Errorf("%s row %d: since %v; want %v", subject, i, view[i].Since, list[i].Since)
				}
				view[i].Since = list[i].Since
				if view[i] != list[i] {
					t.Errorf("%s row %d: got %+v; want %+v", subject, i, view[i], list[i])
				}
			}
		}
	})
}

func TestSearchKeys(t *testing.T) {
	cases := []struct {
		typed string
		want  []string
	}{
		// A word still being typed is a prefix.
		{"370 broad", []string{"370 BROAD"}},
		// Punctuation and spacing as NormaliseText folds them.
		{"  370   Broad.", []string{"370 BROAD"}},
		// A finished word matches only whole.
		{"370 broadway ", []string{"370 BROADWAY "}},
		// A street word being typed matches as typed and as its abbreviation.
		{"370 Broadway Ea", []string{"370 BROADWAY E ", "370 BROADWAY EA"}},
		{"370 Broadway East", []string{"370 BROADWAY E ", "370 BROADWAY EAST"}},
		{"370 Broadway East ", []string{"370 BROADWAY E ", "370 BROADWAY EAST "}},
		// "Av" already covers "AVE".
		{"12 Oak Av", []string{"12 OAK AV"}},
		// The city may start at any of the last words: "North Vancouver" stays whole.
		{"1200 Lonsdale Avenue North Van", []string{"1200 LONSDALE AVE N VAN", "1200 LONSDALE AVE NORTH VAN", "1200 LONSDALE AVENUE NORTH VAN"}},
		// The street number is never abbreviated.
		{"east", []string{"EAST"}},
		// Wildcards are kept, to be matched literally.
		{"37%", []string{"37%"}},
	}
	for _, c := range cases {
		got, err := store.SearchKeys(c.typed)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("searchKeys(%q) = %q, %v; want %q", c.typed, got, err, c.want)
		}
	}
}

func TestSearchWorksites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := mustCreateAt(t, s, "E", "370", "Broadway E", "Vancouver", "", "")
		e101 := mustCreateAt(t, s, "E 101", "370", "Broadway E", "Vancouver", "101", "")
		e102 := mustCreateAt(t, s, "E 102", "370", "Broadway East", "Vancouver", "102", "")
		west := mustCreateAt(t, s, "W", "370", "Broadway W", "Vancouver", "", "")
		main := mustCreateAt(t, s, "Main", "3700", "Main Street", "Vancouver", "", "")
		lonsdale := mustCreateAt(t, s, "Lonsdale", "1200", "Lonsdale Avenue", "North Vancouver", "", "")
		northRd := mustCreateAt(t, s, "North Rd", "88", "North Road", "Coquitlam", "", "")
		northgate := mustCreateAt(t, s, "Northgate", "88", "Northgate Blvd", "Coquitlam", "", "")
		sixth := mustCreateAt(t, s, "Sixth", "1450", "6th Ave W", "Vancouver", "", "")
		sixth2 := mustCreateAt(t, s, "Sixth too", "22", "6th Avenue W", "Vancouver", "5", "")
		ids := func(ws ...domain.Worksite) []string {
			out := []string{}
			for _, w := range ws {
				out = append(out, w.ID)
			}
			return out
		}
		cases := []struct {
			name, typed string
			limit       int
			want        []string
		}{
			{"as a person types", "370 broad", 50, ids(e, e101, e102, west)},
			{"spelled out", "370 Broadway East", 50, ids(e, e101, e102)},
			{"still typing a street word", "370 Broadway Ea", 50, ids(e, e101, e102)},
			{"a finished number", "370 ", 50, ids(e, e101, e102, west)},
			{"an unfinished number", "370", 50, ids(e, e101, e102, west, main)},
			{"abbreviated street word", "3700 main street", 50, ids(main)},
			{"into the city", "1200 Lonsdale Ave North Vancouver", 50, ids(lonsdale)},
			{"a street word or the start of a name", "88 North", 50, ids(northRd, northgate)},
			{"limit", "370 broad", 2, ids(e, e101)},
			{"percent is not a wildcard", "37%", 50, ids()},
			{"underscore is not a wildcard", "3_0 broadway", 50, ids()},
			{"backslash is not an escape", `370\ broadway`, 50, ids()},
			{"no match", "999 nowhere", 50, ids()},
			// The seeds' order: unit, dash, street number. Only that unit.
			{"unit-street number", "101-370 Broadway E", 50, ids(e101)},
			{"unit-street number, spaced", "102 - 370 broadway east", 50, ids(e102)},
			{"unit-street number being typed", "101-370 Bro", 50, ids(e101)},
			// A street name alone, with or without the city, at any number.
			{"street and city", "Broadway E, Vancouver", 50, ids(e, e101, e102)},
			{"street name alone", "Broadway", 50, ids(e, e101, e102, west)},
			{"street name spelled out", "lonsdale avenue", 50, ids(lonsdale)},
			{"a street word or the start of a name, no number", "North", 50, ids(northRd, northgate)},
			// A street name that begins with a number, alone.
			{"a numbered street name", "6th Ave", 50, ids(sixth, sixth2)},
			{"a numbered street name, spelled out, with the city", "6th avenue west, Vancouver", 50, ids(sixth, sixth2)},
			{"a numbered street name after its number", "1450 6th Ave", 50, ids(sixth)},
		}
		for _, c := range cases {
			hits, err := s.SearchWorksites(ctx, c.typed, c.limit)
			if err != nil {
				t.Errorf("%s: SearchWorksites(%q): %v", c.name, c.typed, err)
				continue
			}
			got := []string{}
			for _, h := range hits {
				got = append(got, h.ID)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: SearchWorksites(%q) = %v; want %v", c.name, c.typed, got, c.want)
			}
		}

		// A worksite that has ended (here lapsed) is not offered: nobody can join it.
		if err := s.SaveWorksiteStatus(ctx, domain.WorksiteStatus{WorksiteID: west.ID, State: domain.WorksiteLapsed, Seq: 1}); err != nil {
			t.Fatal(err)
		}
		for _, typed := range []string{"370 Broadway W", "Broadway W"} {
			if hits, err := s.SearchWorksites(ctx, typed, 50); err != nil || len(hits) != 0 {
				t.Errorf("SearchWorksites(%q) after it lapsed = %v, %v; want none", typed, hits, err)
			}
		}

		hits, err := s.SearchWorksites(ctx, "370 broadway e", 1)
		want := store.WorksiteHit{ID: e.ID, Name: "E", AddressLine: "370 Broadway E, Vancouver, BC V5T 4G5",
			LocationType: domain.CommunityPrivatePractice, State: store.StateRegistering}
		if err != nil || len(hits) != 1 || hits[0] != want {
			t.Errorf("hit = %+v, %v; want %+v", hits, err, want)
		}

		for _, c := range []struct {
			typed string
			limit int
			field string
		}{
			{"37", 10, "address"},
			{"#.,", 10, "address"},
			{strings.Repeat("1", store.MaxSearchLen+1), 10, "address"},
			{"370 broad", 0, "limit"},
			{"370 broad", store.MaxSearchLimit + 1, "limit"},
		} {
			_, err := s.SearchWorksites(ctx, c.typed, c.limit)
			var de *domain.Error
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Errorf("SearchWorksites(%q, %d) = %v; want EINVALID", c.typed, c.limit, err)
			} else if de, _ = err.(*domain.Error); de.Fields[c.field] == "" {
				t.Errorf("SearchWorksites(%q, %d) = %v; want field %q named", c.typed, c.limit, err, c.field)
			}
		}
	})
}

func TestUpdateWorksiteDetails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreateAt(t, s, "Proctor Clinic", "370", "Broadway E", "Vancouver", "", "sub-reg")
		name, emr := "Proctor Family Clinic", "Accuro"
		audit := domain.AuditEvent{Actor: "sub-reg", Role: "site_admin", Action: "worksite details updated", RequestID: "req-1"}
		got, err := s.UpdateWorksiteDetails(ctx, w.ID, store.WorksiteDetails{Name: &name, EMR: &emr}, audit)
		if err != nil {
			t.Fatalf("UpdateWorksiteDetails: %v", err)
		}
		want := w
		want.Name, want.EMR = name, emr
		want.RegisteredAt = got.RegisteredAt
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v; want %+v", got, want)
		}
		if stored, _ := s.GetWorksite(ctx, w.ID); !reflect.DeepEqual(stored, got) {
			t.Errorf("stored %+v; want %+v", stored, got)
		}
		events, err := s.ListAudit(ctx, "worksite:"+w.ID)
		if err != nil || len(events) != 2 || events[1].Action != audit.Action || events[1].WorksiteID != w.ID || events[1].RequestID != "req-1" {
			t.Errorf("audit = %+v, %v; want the registration and the update", events, err)
		}

		if _, err := s.UpdateWorksiteDetails(ctx, "NOPE123", store.WorksiteDetails{Name: &name}, audit); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("unknown worksite: got %v; want ENOTFOUND", err)
		}
		if events, _ := s.ListAudit(ctx, "worksite:NOPE123"); len(events) != 0 {
			t.Errorf("a refused update left audit records: %+v", events)
		}
	})
}

func TestUpdateWorksiteClassification(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w1 := mustCreateAt(t, s, "One", "370", "Broadway E", "Vancouver", "101", "")
		w2 := mustCreateAt(t, s, "Two", "370", "Broadway E", "Vancouver", "102", "")
		audit := domain.AuditEvent{Actor: "team@example.ca", Role: "enrolment_team", Action: "worksite reclassified"}

		// Moving w2 to w1's address and unit, written differently, is a conflict.
		taken := w1.Address
		taken.StreetName, taken.Unit = "Broadway East", "101"
		_, err := s.UpdateWorksiteClassification(ctx, w2.ID, &taken, nil, nil, nil, audit)
		if de, _ := err.(*domain.Error); domain.ErrorCode(err) != domain.ECONFLICT || de == nil || de.Fields["address"] == "" ||
			!strings.Contains(de.Message, w1.ID) {
			t.Errorf("taken address: got %v; want ECONFLICT naming %s and the address field", err, w1.ID)
		}
		if got, _ := s.GetWorksite(ctx, w2.ID); got.Address != w2.Address {
			t.Errorf("after a conflict the address is %+v; want it unchanged", got.Address)
		}
		if events, _ := s.ListAudit(ctx, "worksite:"+w2.ID); len(events) != 1 {
			t.Errorf("a refused change left audit records: %+v", events)
		}

		// Re-saving a worksite's own address is no conflict.
		if _, err := s.UpdateWorksiteClassification(ctx, w1.ID, &w1.Address, nil, nil, nil, audit); err != nil {
			t.Errorf("own address: %v", err)
		}

		addr := domain.Address{StreetNumber: "400", StreetName: "Main Street", City: "Vancouver", Province: "BC", PostalCode: "V6A 2T7"}
		lt, sub, desc := domain.HomeOffice, "remote_access", ""
		got, err := s.UpdateWorksiteClassification(ctx, w2.ID, &addr, &lt, &sub, &desc, audit)
		if err != nil {
			t.Fatalf("UpdateWorksiteClassification: %v", err)
		}
		if got.Address != addr || got.LocationType != lt || got.SubOption != sub || got.Name != "Two" {
			t.Errorf("got %+v; want the new address and type, the rest unchanged", got)
		}
		// The new address is searchable under its key; the old one is free.
		if hits, err := s.SearchWorksites(ctx, "400 main st", 10); err != nil || len(hits) != 1 || hits[0].ID != w2.ID {
			t.Errorf("search for the new address = %+v, %v; want %s", hits, err, w2.ID)
		}
		mustCreateAt(t, s, "Three", "370", "Broadway E", "Vancouver", "102", "")

		// Type only: the address stays.
		lt = domain.OtherLocation
		sub, desc = "", "mobile clinic"
		got, err = s.UpdateWorksiteClassification(ctx, w2.ID, nil, &lt, &sub, &desc, audit)
		if err != nil || got.Address != addr || got.LocationType != lt || got.OtherDescription != desc || got.SubOption != "" {
			t.Errorf("type change = %+v, %v; want type other, address kept", got, err)
		}
		if events, _ := s.ListAudit(ctx, "worksite:"+w2.ID); len(events) != 3 || events[2].Action != audit.Action {
			t.Errorf("audit = %+v; want the registration and two changes", events)
		}

		if _, err := s.UpdateWorksiteClassification(ctx, "NOPE123", &addr, nil, nil, nil, audit); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("unknown worksite: got %v; want ENOTFOUND", err)
		}
	})
}

// ReadWorksite gives a read of one worksite what it needs: the worksite,
// its active administrators (the registrant until a membership is
// projected) and its status as stored.
func TestReadWorksite(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.ReadWorksite(ctx, "NOSUCH1"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("unknown worksite: error %v; want ENOTFOUND", err)
		}
		reg := registration("4")
		reg.Name, reg.Address.StreetNumber, reg.Address.StreetName, reg.Administrator.Subject = "Read Clinic", "12", "Main St", "sub-reg"
		reg.Extension, reg.ContactName, reg.OtherDescription = "123", "Cora Contact", "Back door"
		w := mustCreate(t, s, reg)
		r, err := s.ReadWorksite(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Worksite.Name != "Read Clinic" || r.Worksite.Address.StreetName != "Main St" || r.StatusSeq != 0 ||
			!reflect.DeepEqual(r.Admins, []string{"sub-reg"}) {
			t.Errorf("before projection: %+v; want the worksite, the registrant as admin and seq 0", r)
		}
		// Every field, as the full read has it (ReadWorksite scans its own columns).
		full, err := s.GetWorksite(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Worksite.RegisteredAt.Sub(full.RegisteredAt).Abs() > time.Millisecond {
			t.Errorf("registered at %v; want %v", r.Worksite.RegisteredAt, full.RegisteredAt)
		}
		r.Worksite.RegisteredAt = full.RegisteredAt
		if !reflect.DeepEqual(r.Worksite, full) {
			t.Errorf("read %+v; want %+v", r.Worksite, full)
		}

		since := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		mustSaveMembership(t, s, w.ID, domain.Membership{Members: []domain.Member{
			{Subject: "sub-reg", Name: "Reg", Email: "reg@example.ca", Admin: true, Since: since}, // no longer active
			{Subject: "sub-z", Name: "Zed", Email: "z@example.ca", Admin: true, Active: true, Since: since},
			{Subject: "sub-a", Name: "Al", Email: "a@example.ca", Admin: true, Active: true, Since: since},
			{Subject: "sub-m", Name: "Mo", Email: "m@example.ca", Active: true, Since: since},
		}}, 3)
		if err := s.SaveWorksiteStatus(ctx, domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteApproved, Seq: 7}); err != nil {
			t.Fatal(err)
		}
		r, err = s.ReadWorksite(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		var st domain.WorksiteStatus
		if err := json.Unmarshal(r.StatusJSON, &st); err != nil || st.State != domain.WorksiteApproved || r.StatusSeq != 7 {
			t.Errorf("status %s (seq %d, %v); want approved, seq 7", r.StatusJSON, r.StatusSeq, err)
		}
		if want := []string{"sub-a", "sub-z"}; !reflect.DeepEqual(r.Admins, want) {
			t.Errorf("admins = %v; want the active administrators %v", r.Admins, want)
		}
		if admins, err := s.WorksiteAdmins(ctx, w.ID); err != nil || !reflect.DeepEqual(admins, r.Admins) {
			t.Errorf("WorksiteAdmins = %v, %v; want %v", admins, err, r.Admins)
		}
	})
}
