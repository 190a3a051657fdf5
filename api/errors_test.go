package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
)

// TestWriteErrorDatabaseUnavailable: a database outage whose driver error
// says "connection refused" is answered as the database being unavailable,
// not as Temporal being unavailable (found by the PostgreSQL fault test).
func TestWriteErrorDatabaseUnavailable(t *testing.T) {
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/worksites", nil)
	dbErr := fmt.Errorf("%w: %v", &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unavailable; try again shortly"},
		errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	writeError(c, slog.New(slog.NewTextHandler(io.Discard, nil)), dbErr)
	var body ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("got %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if body.Error.Message != "the database is unavailable; try again shortly" {
		t.Errorf("message = %q; want the database's", body.Error.Message)
	}
}
