package metrics

import (
	"math"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// collector exports a Registry through client_golang, the way ZooKeeper's
// PrometheusMetricsProvider exports its metrics: the metric's name without
// a prefix, HELP equal to the name, counters as counters, gauges as
// gauges, summaries with the 0.5 quantile (0.5, 0.9 and 0.99 when
// advanced) plus _count and _sum.
type collector struct {
	get func() *Registry // the registry serving now; nil exports nothing
}

// NewCollector returns a prometheus.Collector reading the registry get
// returns at each scrape (an ensemble member's engine changes with its
// role). It is unchecked: the metric set follows the registry.
func NewCollector(get func() *Registry) prometheus.Collector { return collector{get} }

func (collector) Describe(chan<- *prometheus.Desc) {}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	r := c.get()
	if r == nil {
		return
	}
	for _, e := range r.snapshotEntries() {
		desc := prometheus.NewDesc(e.name, e.name, nil, nil)
		switch e.kind {
		case kindGaugeSet:
			labelled := prometheus.NewDesc(e.name, e.name, []string{"key"}, nil)
			for k, v := range e.set() {
				ch <- prometheus.MustNewConstMetric(labelled, prometheus.GaugeValue, v.Float64(), k)
			}
		case kindCounter:
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(e.counter.Get()))
		case kindCounterFunc:
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, e.gauge().Float64())
		case kindGauge:
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, e.gauge().Float64())
		case kindSummary:
			ch <- constSummary(desc, e.summary)
		case kindCounterSet:
			labelled := prometheus.NewDesc(e.name, e.name, []string{"key"}, nil)
			for k, v := range e.cntSet.values() {
				ch <- prometheus.MustNewConstMetric(labelled, prometheus.CounterValue, float64(v), k)
			}
		case kindSummarySet:
			labelled := prometheus.NewDesc(e.name, e.name, []string{"key"}, nil)
			for k, sum := range e.sumSet.summaries() {
				ch <- constSummary(labelled, sum, k)
			}
		}
	}
}

// constSummary is a summary's Prometheus sample.
func constSummary(desc *prometheus.Desc, sum *Summary, labels ...string) prometheus.Metric {
	s := sum.Snapshot()
	qs := map[float64]float64{0.5: 0}
	if sum.level == Advanced {
		qs = map[float64]float64{0.5: 0, 0.9: 0, 0.99: 0}
	}
	for q := range qs {
		qs[q] = math.NaN() // as simpleclient reports a quantile without samples
		if len(s.samples) > 0 {
			qs[q] = s.Quantile(q)
		}
	}
	return prometheus.MustNewConstSummary(desc, uint64(max(s.Count, 0)), float64(s.Sum), qs, labels...)
}

// NewPrometheusRegistry returns a new registry (never the global one)
// holding get's metrics plus the Go runtime and process collectors, which
// stand where Java's exportJvmInfo puts its JVM and process metrics
// (the process_* names are the same in both).
func NewPrometheusRegistry(get func() *Registry) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(get),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves reg in the Prometheus exposition formats on GET and HEAD.
func Handler(reg *prometheus.Registry) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, req)
	})
}
