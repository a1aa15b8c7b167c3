package api

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"
)

// openAPIDocument is this API's OpenAPI 3.1 description (api/openapi.json),
// kept in step with the route table and the responses by the tests
// (api/openapi_test.go, e2e/openapi.test.mjs; docs/ARCHITECTURE.md,
// "OpenAPI").
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI is GET /api/v1/openapi.json: the embedded document as it is.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIDocument)
	return nil
}
