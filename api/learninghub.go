package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/learninghub"
)

// maxLearningHubBody bounds a LearningHub callback body.
const maxLearningHubBody = 64 << 10

// LearningHubAck is the body of an accepted or duplicate callback.
type LearningHubAck struct {
	// Status is "accepted" (stored now) or "duplicate" (stored before).
	Status string `json:"status"`
}

// learningHubCallback ingests POST /webhooks/learninghub: the signature
// header and the body go to enrolment.LearningHubCallback, which checks
// the signature before anything else and stores an accepted event
// before the answer.
func (s *Server) learningHubCallback(c *gin.Context) {
	header := c.GetHeader(learninghub.Header)
	if header == "" {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "the %s header is missing", learninghub.Header))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxLearningHubBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(c, s.log, domain.Errorf(domain.EINVALID, "the request body is larger than %d KiB", maxLearningHubBody>>10))
			return
		}
		writeError(c, s.log, domain.Errorf(domain.EINVALID, "the request body could not be read"))
		return
	}
	dup, err := s.app.LearningHubCallback(c.Request.Context(), caller(c), header, body)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if dup {
		c.JSON(http.StatusOK, LearningHubAck{Status: "duplicate"})
		return
	}
	c.JSON(http.StatusAccepted, LearningHubAck{Status: "accepted"})
}
