package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"careconnect/domain"
)

// queueHead is the fields of domain.QueuedApplication before its application.
type queueHead struct {
	Subject    string `json:"subject"`
	Name       string `json:"name"`
	Profession string `json:"profession"`
}

// queuePage encodes the queue's response body exactly as encoding/json
// encodes gin.H{"applications": apps, "worksitesAwaitingApproval":
// worksites, "total": total, "nextCursor": next, "worksitesTotal": wtotal,
// "worksitesNextCursor": wnext} (a cursor left out when empty)
// (TestQueuePageIsEncodingJSON), with one difference: each
// stored application is copied in as SaveApplication's json.Marshal wrote
// it, where encoding/json would validate and compact every json.RawMessage
// again: about 40% of the handler's CPU at a page of 100
// (BenchmarkApplicationQueue). A stored application that is not a JSON
// object is an error rather than a broken page.
func queuePage(apps []domain.QueuedApplication, worksites []domain.WorksiteSummary, total int64, next string, wtotal int64, wnext string) ([]byte, error) {
	size := 160 + len(next) + len(wnext) + 450*len(worksites)
	for _, a := range apps {
		size += 200 + len(a.Application)
	}
	var b bytes.Buffer
	b.Grow(size)
	// An Encoder escapes as json.Marshal does and writes into b; each value it
	// encodes ends in a newline, which value cuts.
	enc := json.NewEncoder(&b)
	value := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("api: queue: %w", err)
		}
		b.Truncate(b.Len() - 1)
		return nil
	}
	b.WriteString(`{"applications":[`)
	for i, a := range apps {
		if js := a.Application; len(js) < 2 || js[0] != '{' || js[len(js)-1] != '}' {
			return nil, fmt.Errorf("api: queue: the stored application of %s is not a JSON object", a.Subject)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if err := value(queueHead{Subject: a.Subject, Name: a.Name, Profession: a.Profession}); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // "}": the object goes on
		b.WriteString(`,"application":`)
		b.Write(a.Application)
		b.WriteString(`,"businessDaysWaiting":`)
		b.WriteString(strconv.Itoa(a.BusinessDaysWaiting))
		b.WriteString(`,"workflowId":`)
		if err := value(a.WorkflowID); err != nil {
			return nil, err
		}
		b.WriteByte('}')
	}
	// encoding/json writes a map's keys sorted: applications, nextCursor,
	// total, worksitesAwaitingApproval, worksitesNextCursor, worksitesTotal.
	b.WriteByte(']')
	if next != "" {
		b.WriteString(`,"nextCursor":`)
		if err := value(next); err != nil {
			return nil, err
		}
	}
	b.WriteString(`,"total":`)
	b.WriteString(strconv.FormatInt(total, 10))
	b.WriteString(`,"worksitesAwaitingApproval":`)
	if err := value(nonNil(worksites)); err != nil {
		return nil, err
	}
	if wnext != "" {
		b.WriteString(`,"worksitesNextCursor":`)
		if err := value(wnext); err != nil {
			return nil, err
		}
	}
	b.WriteString(`,"worksitesTotal":`)
	b.WriteString(strconv.FormatInt(wtotal, 10))
	b.WriteByte('}')
	return b.Bytes(), nil
}
