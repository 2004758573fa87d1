package metrics

import (
	"net/http"
	"strings"
)

// ContentType is the Prometheus text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves r in the Prometheus text format on GET (and HEAD).
// ZooKeeper's provider mounts it at /metrics; the caller chooses the path.
func Handler(r *Registry) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var b strings.Builder
		r.WritePrometheus(&b)
		w.Header().Set("Content-Type", ContentType)
		if req.Method == http.MethodGet {
			w.Write([]byte(b.String()))
		}
	})
}
