package session

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// deniedBody is the JSON body of a 403 response.
type deniedBody struct {
	Code            string `json:"code"`
	Reason          string `json:"reason"`
	RegrantRequired bool   `json:"regrant_required"`
}

// deniedBodies holds the body for each reason, encoded once, so that
// writing a denial cannot fail halfway through encoding.
var deniedBodies = func() (bodies [reasonCount][]byte) {
	for r := range reasonCount {
		b, err := json.Marshal(deniedBody{
			Code:            r.Code(),
			Reason:          r.String(),
			RegrantRequired: r.RegrantRequired(),
		})
		if err != nil {
			panic(err) // unreachable: the struct has only strings and a bool
		}
		bodies[r] = append(b, '\n')
	}
	return bodies
}()

// Middleware returns a handler that checks the scope scopeFor returns for
// each request, in the form "action" or "action:resource", and calls next only when
// the check allows. Every denial, including a malformed scope and a
// scopeFor that panics, is a 403 with a JSON body such as
// {"code":"ERR-SessionExpired","reason":"expired","regrant_required":true};
// no denial reaches next or ends in another status.
func (m *Manager) Middleware(next http.Handler, scopeFor func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := m.checkRequest(r, scopeFor)
		if !d.Allowed {
			writeDenied(w, d.Reason)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (m *Manager) checkRequest(r *http.Request, scopeFor func(*http.Request) string) (d Decision) {
	defer func() {
		if p := recover(); p != nil {
			d = deny(ReasonInternal)
		}
	}()
	// The resource of a check is a name, not a pattern, so only the action
	// is validated, by Check.
	action, resource, _ := strings.Cut(scopeFor(r), ":")
	return m.Check(r.Context(), Scope{Action: action, Resource: resource})
}

func writeDenied(w http.ResponseWriter, reason Reason) {
	if reason >= reasonCount || reason == ReasonGranted {
		reason = ReasonInternal
	}
	body := deniedBodies[reason]
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	w.Write(body)
}
