package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// writeJSONObject writes what encoding/json writes for the same members, in
// order, and answers 200 as JSON.
func TestWriteJSONObject(t *testing.T) {
	// Raw values come from json.Marshal (stored projections), as in the service.
	status, err := json.Marshal(map[string]any{"state": "approved", "seq": 7,
		"timeline": []map[string]string{{"kind": "registered", "detail": "a \"quoted\" <b> & \u2028"}}})
	if err != nil {
		t.Fatal(err)
	}
	view, err := json.Marshal(map[string]any{"id": "K4T6CLP", "name": "Proctor & Sons"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fields []jsonField
		want   any
	}{
		{"none", nil, struct{}{}},
		{"one", []jsonField{{"status", status}}, struct {
			Status json.RawMessage `json:"status"`
		}{json.RawMessage(status)}},
		{"three", []jsonField{{"worksite", view}, {"status", status}, {"statusSource", json.RawMessage(`"projection"`)}}, struct {
			Worksite     json.RawMessage `json:"worksite"`
			Status       json.RawMessage `json:"status"`
			StatusSource string          `json:"statusSource"`
		}{view, status, "projection"}},
	}
	gin.SetMode(gin.TestMode)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			writeJSONObject(c, tt.fields...)
			want, err := json.Marshal(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("answered %d %q; want 200 JSON", w.Code, w.Header().Get("Content-Type"))
			}
			if !bytes.Equal(w.Body.Bytes(), want) || !json.Valid(w.Body.Bytes()) {
				t.Errorf("body\n%s\nwant\n%s", w.Body.Bytes(), want)
			}
		})
	}
}
