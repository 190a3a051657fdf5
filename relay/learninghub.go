package relay

import "context"

// DeliverLearningHub is one round of the LearningHub loop: it delivers
// the pending events of up to BatchSize learners that an account can take
// now, leaving events received in the last few seconds to the API's own
// attempt. It returns how many learners it took; it stops at the first
// failure (what is left stays pending for the next round).
func (r *Relay) DeliverLearningHub(ctx context.Context) (int, error) {
	r.init()
	if r.LearningHub == nil {
		return 0, nil
	}
	learners, err := r.Store.PendingLearners(ctx, r.Now().Add(-learningHubGrace), r.Config.BatchSize)
	if err != nil {
		return 0, err
	}
	for _, l := range learners {
		if err := r.LearningHub.Learner(ctx, l.Email, l.LearningHubID); err != nil {
			return len(learners), err
		}
	}
	return len(learners), nil
}
