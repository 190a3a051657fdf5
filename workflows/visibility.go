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

// upsertVisibility sets the search attributes to v unless they already hold
// it (last), so an unchanged status adds nothing to the history.
func upsertVisibility(ctx workflow.Context, last *domain.Visibility, v domain.Visibility) {
	if last.Status == v.Status && last.WaitingOn == v.WaitingOn && last.Profession == v.Profession && slices.Equal(last.Worksites, v.Worksites) {
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
		return
	}
	*last = v
}
