package workflows

import (
	"slices"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// Typed search attributes every enrolment workflow carries, so the
// Temporal Web UI can filter by them. The project registers them at start-up
// (SearchAttributes).
var (
	SearchStatus     = temporal.NewSearchAttributeKeyKeyword("CareConnectStatus")
	SearchWaitingOn  = temporal.NewSearchAttributeKeyKeyword("CareConnectWaitingOn")
	SearchProfession = temporal.NewSearchAttributeKeyKeyword("CareConnectProfession")
	SearchWorksiteID = temporal.NewSearchAttributeKeyKeywordList("CareConnectWorksiteID")
)

// SearchAttributes are the attributes to register, by name.
func SearchAttributes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{
		SearchStatus.GetName():     enums.INDEXED_VALUE_TYPE_KEYWORD,
		SearchWaitingOn.GetName():  enums.INDEXED_VALUE_TYPE_KEYWORD,
		SearchProfession.GetName(): enums.INDEXED_VALUE_TYPE_KEYWORD,
		SearchWorksiteID.GetName(): enums.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	}
}

// upsertVisibility sets the search attributes to v unless they already
// show it, so an unchanged status adds nothing to the history. What they
// show is the run's own (set at the start, carried over by continue-as-new,
// changed by its upserts), so a starter that sets them, or a run that
// continues as new, upserts nothing until something changes.
func upsertVisibility(ctx workflow.Context, v domain.Visibility) {
	if shown := shownVisibility(ctx); shown.Status == v.Status && shown.WaitingOn == v.WaitingOn &&
		shown.Profession == v.Profession && slices.Equal(shown.Worksites, v.Worksites) {
		return
	}
	updates := []temporal.SearchAttributeUpdate{SearchStatus.ValueSet(v.Status), SearchWaitingOn.ValueSet(string(v.WaitingOn))}
	if v.Profession != "" {
		updates = append(updates, SearchProfession.ValueSet(v.Profession))
	}
	if len(v.Worksites) > 0 {
		updates = append(updates, SearchWorksiteID.ValueSet(v.Worksites))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
}

// shownVisibility is what the run's search attributes show now.
func shownVisibility(ctx workflow.Context) domain.Visibility {
	sa := workflow.GetTypedSearchAttributes(ctx)
	var v domain.Visibility
	v.Status, _ = sa.GetKeyword(SearchStatus)
	waiting, _ := sa.GetKeyword(SearchWaitingOn)
	v.WaitingOn = domain.Party(waiting)
	v.Profession, _ = sa.GetKeyword(SearchProfession)
	v.Worksites, _ = sa.GetKeywordList(SearchWorksiteID)
	return v
}
