package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// changeLocalWrites is the GetVersion change under which a run writes its
// projections and audit records with local activities, and each update
// handler projects the state it leaves before it returns (so a read of the
// projection right after an update sees it).
//
// A projection or an audit record is a short database write, idempotent by
// sequence number or business key. As an ordinary activity it cost three
// history events, two trips through the task queue and one more workflow
// task; a local activity runs in the worker within the workflow task and is
// one marker event. Emails stay ordinary activities: their retries outlast
// SMTP outages for days, and they must not hold a workflow task.
const changeLocalWrites = "local-writes"

// localWritesVersion is the version of changeLocalWrites this code writes.
const localWritesVersion = 1

// writesLocally reports whether this run writes locally. It is asked once,
// at the start of a run: a run started by code that has the change (and
// every run after a continue-as-new) does; a run started before it keeps
// its ordinary activities to its end, so its history replays unchanged.
func writesLocally(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, changeLocalWrites, workflow.DefaultVersion, localWritesVersion) >= localWritesVersion
}

// write runs one idempotent database write (a projection or an audit
// record): a local activity when local, otherwise an ordinary one with the
// activity options already on ctx.
func write(ctx workflow.Context, local bool, activity, arg any) error {
	return startWrite(ctx, local, activity, arg).Get(ctx, nil)
}

// startWrite starts what write waits for.
func startWrite(ctx workflow.Context, local bool, activity, arg any) workflow.Future {
	if local {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localActivityOptions()), activity, arg)
	}
	return workflow.ExecuteActivity(ctx, activity, arg)
}

// localActivityOptions bound a local write like an ordinary activity: each
// attempt within activityStartToClose, retried with back-off (a database
// outage) for up to a day.
func localActivityOptions() workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		ScheduleToCloseTimeout: activityScheduleToClose,
		RetryPolicy:            retryPolicy(),
	}
}

// retryPolicy retries an activity with back-off, except for the domain's
// invalid and not-found errors, which no retry mends.
func retryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        activityMaxInterval,
		NonRetryableErrorTypes: []string{domain.EINVALID, domain.ENOTFOUND},
	}
}
