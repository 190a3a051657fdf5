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

// StartAttributes are the search attributes to start a workflow of type
// workflowType with args with: what its first workflow task would upsert,
// so the Temporal Web UI shows its status from the moment it starts (even
// before a worker runs it), and that task upserts nothing. A worksite's
// are its registration's state; a person's, identity validated (the
// sign-in whose identity its input carries). ok is false for another
// workflow type or arguments it does not know.
func StartAttributes(workflowType string, args []any) (sa temporal.SearchAttributes, ok bool) {
	var v domain.Visibility
	switch workflowType {
	case WorksiteWorkflowName:
		if len(args) != 1 {
			return sa, false
		}
		in, isInput := args[0].(WorksiteInput)
		if !isInput || in.Carry != nil {
			return sa, false
		}
		state := startState(in.TypePolicy)
		waiting, _ := domain.WorksiteNextAction(state, in.TypePolicy)
		v = domain.WorksiteStatus{WorksiteID: in.WorksiteID, State: state, WaitingOn: waiting}.Visibility()
	case UserWorkflowName:
		state := domain.UserIdentityValidated
		waiting, _ := domain.UserNextAction(state, nil)
		v = domain.UserStatus{State: state, WaitingOn: waiting}.Visibility()
	default:
		return sa, false
	}
	return temporal.NewSearchAttributes(visibilityUpdates(v)...), true
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
	if err := workflow.UpsertTypedSearchAttributes(ctx, visibilityUpdates(v)...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
}

// visibilityUpdates are the search attribute values that show v.
func visibilityUpdates(v domain.Visibility) []temporal.SearchAttributeUpdate {
	updates := []temporal.SearchAttributeUpdate{SearchStatus.ValueSet(v.Status), SearchWaitingOn.ValueSet(string(v.WaitingOn))}
	if v.Profession != "" {
		updates = append(updates, SearchProfession.ValueSet(v.Profession))
	}
	if len(v.Worksites) > 0 {
		updates = append(updates, SearchWorksiteID.ValueSet(v.Worksites))
	}
	return updates
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
