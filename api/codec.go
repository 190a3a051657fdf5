package api

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"careconnect/codec"
	"careconnect/domain"
)

// The codec endpoint serves Temporal's remote codec protocol to the
// Temporal Web UI (and `temporal --codec-endpoint`): POST
// /codec/decode and /codec/encode take and return {"payloads": [...]} in
// protobuf JSON (bytes in base64). The UI sends Content-Type, X-Namespace
// and, when told to pass its access token, Authorization; with "include
// cross-origin credentials" it sends the session cookie.
//
// Only the enrolment team may call it: what it decrypts is every
// enrolment's personal information, and each call is logged with who made
// it. A browser may call it only from codec.ui_origin (CORS with
// credentials); a request from any other origin is refused outright, so a
// cookie cannot be used from another site (the endpoint changes nothing,
// so it needs no CSRF token, which the UI could not send).
const (
	// codecAllowedHeaders are the request headers the UI sends.
	codecAllowedHeaders = "Content-Type, X-Namespace, Authorization"
	// codecPreflightMaxAge is how long a browser may cache a preflight (seconds).
	codecPreflightMaxAge = "600"
	// maxCodecBody bounds a request: a batch of history payloads, each at
	// most Temporal's 2 MiB blob limit.
	maxCodecBody = 8 << 20
	// NamespaceHeader names the namespace whose payloads the UI sends.
	NamespaceHeader = "X-Namespace"
)

// codecOp is one direction of the codec.
type codecOp string

const (
	codecEncode codecOp = "encode"
	codecDecode codecOp = "decode"
)

// codecCORS lets the Temporal Web UI's origin read the answer, with
// credentials. A request from any other origin is refused with no CORS
// allowance; one without an Origin (the CLI, curl) is not a browser's
// cross-origin call and goes on to authentication. The preflight
// (OPTIONS) answers for itself.
func (s *Server) codecCORS(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" || c.Request.Method == http.MethodOptions {
		c.Next()
		return
	}
	c.Header("Vary", "Origin")
	if origin != s.codecOrigin || s.codecOrigin == "" {
		writeError(c, s.log, domain.Errorf(domain.EFORBIDDEN, "this origin may not use the codec endpoint; it serves the Temporal Web UI"))
		return
	}
	c.Header("Access-Control-Allow-Origin", origin)
	c.Header("Access-Control-Allow-Credentials", "true")
	c.Next()
}

// codecPreflight answers the browser's CORS preflight (OPTIONS) for the
// UI's origin, a POST and the headers the UI sends; anything else gets no
// allowance.
func (s *Server) codecPreflight(c *gin.Context) {
	c.Header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := c.GetHeader("Origin")
	if origin == "" || origin != s.codecOrigin || c.GetHeader("Access-Control-Request-Method") != http.MethodPost {
		writeError(c, s.log, domain.Errorf(domain.EFORBIDDEN, "no cross-origin access to the codec endpoint for this origin or method"))
		return
	}
	for _, h := range strings.Split(c.GetHeader("Access-Control-Request-Headers"), ",") {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "", "content-type", "x-namespace", "authorization":
		default:
			writeError(c, s.log, domain.Errorf(domain.EFORBIDDEN, "the codec endpoint takes only the headers %s", codecAllowedHeaders))
			return
		}
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", http.MethodPost)
	h.Set("Access-Control-Allow-Headers", codecAllowedHeaders)
	h.Set("Access-Control-Max-Age", codecPreflightMaxAge)
	c.Status(http.StatusNoContent)
}

// codecPayloads is POST /codec/encode and /codec/decode for the team.
func (s *Server) codecPayloads(op codecOp) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.app.UseCodec(caller(c)); err != nil {
			writeError(c, s.log, err)
			return
		}
		if s.codec == nil {
			writeError(c, s.log, domain.Errorf(domain.ENOTFOUND, "this service does not encrypt payloads (codec.keys is empty)"))
			return
		}
		ns := c.GetHeader(NamespaceHeader)
		if ns != "" && ns != s.cfg.Temporal.Namespace {
			writeError(c, s.log, domain.Errorf(domain.ENOTFOUND, "this codec serves the namespace %q only", s.cfg.Temporal.Namespace))
			return
		}
		in, err := readPayloads(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		var out []*commonpb.Payload
		if op == codecEncode {
			out, err = s.codec.Encode(in.Payloads)
		} else {
			out, err = s.codec.Decode(in.Payloads)
		}
		switch {
		case errors.Is(err, codec.ErrUnknownKey):
			writeError(c, s.log, errors.Join(domain.Errorf(domain.EUNPROCESSABLE,
				"a payload was encrypted under a key this service no longer holds"), err))
			return
		case errors.Is(err, codec.ErrCorrupt):
			writeError(c, s.log, errors.Join(domain.Errorf(domain.EINVALID, "a payload does not decrypt: it is damaged or not ours"), err))
			return
		case err != nil:
			writeError(c, s.log, err)
			return
		}
		body, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		s.log.Info("codec", "request_id", requestID(c), "op", string(op), "by", principal(c).Subject,
			"payloads", len(out), "namespace", s.cfg.Temporal.Namespace)
		c.Data(http.StatusOK, "application/json", body)
	}
}

// readPayloads reads the protocol's body: one JSON object
// {"payloads": [{"metadata": {...}, "data": "<base64>"}, ...]}.
func readPayloads(c *gin.Context) (*commonpb.Payloads, error) {
	if ct := c.ContentType(); ct != "application/json" {
		return nil, &domain.Error{Code: domain.EINVALID, Message: "the request body must be JSON (Content-Type: application/json)"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCodecBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, domain.Errorf(domain.EINVALID, "the request body is larger than %d MiB", maxCodecBody>>20)
		}
		return nil, domain.Errorf(domain.EINVALID, "the request body could not be read")
	}
	var ps commonpb.Payloads
	if err := protojson.Unmarshal(body, &ps); err != nil {
		return nil, &domain.Error{Code: domain.EINVALID, Message: `the body must be {"payloads": [...]}, each payload's metadata values and data in base64`,
			Fields: map[string]string{"payloads": "must be a list of Temporal payloads in protobuf JSON"}}
	}
	return &ps, nil
}
