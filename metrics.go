package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hxchat/chat"
	"hxchat/hub"
)

// newMetrics returns the /metrics handler: the hub's counters, the
// service's refusals and the Go runtime's, in a registry of their own.
func newMetrics(h *hub.Hub, svc *chat.Service) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hxchat_connections", Help: "Open websocket connections."},
			func() float64 { return float64(h.Stats().Connections) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hxchat_rooms_live", Help: "Rooms with at least one connection on this instance."},
			func() float64 { return float64(h.Stats().Rooms) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hxchat_events_rendered_total", Help: "Events rendered and framed for broadcast."},
			func() float64 { return float64(h.Stats().Events) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hxchat_deliveries_total", Help: "Frames queued to connections."},
			func() float64 { return float64(h.Stats().Deliveries) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hxchat_evictions_total", Help: "Slow consumers disconnected."},
			func() float64 { return float64(h.Stats().Evictions) }),
	)
	for name := range svc.Refused() {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "hxchat_limited_total",
			Help:        "Actions refused by a limit (sends, rooms, renames, new people, connections).",
			ConstLabels: prometheus.Labels{"limit": name},
		}, func() float64 { return float64(svc.Refused()[name]) }))
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
