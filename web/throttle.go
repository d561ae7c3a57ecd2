package web

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// throttle limits failed sign-ins (web form and API bearer tokens): after MaxPerToken failures within
// Window with tokens sharing one prefix, or MaxPerAddr from one address, further attempts with that
// prefix or from that address are refused — before the token is looked at, so a guesser learns
// nothing — until the oldest failure leaves the window. Successful sign-ins are not counted. The
// address limit is higher because a municipal office or a proxy puts many users behind one address.
// It is in memory: the one process that owns the database serves every request.
type throttle struct {
	MaxPerToken int
	MaxPerAddr  int
	Window      time.Duration
	Now         func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
	calls    int
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{MaxPerToken: 10, MaxPerAddr: 30, Window: 15 * time.Minute, Now: now, failures: map[string][]time.Time{}}
}

// keys are what failures are counted by: the client's address and the token's prefix.
func throttleKeys(r *http.Request, token string) []string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	keys := []string{"addr:" + host}
	if p := tokenPrefix(token); p != "" {
		keys = append(keys, "token:"+p)
	}
	return keys
}

// tokenPrefix is the part of a presented token the audit log and the throttle may keep: never
// enough to use it.
func tokenPrefix(token string) string {
	t := strings.TrimPrefix(strings.TrimSpace(token), "kfk_")
	if len(t) > 8 {
		t = t[:8]
	}
	return t
}

// Blocked reports whether any key is over its limit, and for how long.
func (t *throttle) Blocked(keys []string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	var wait time.Duration
	for _, k := range keys {
		f := t.recent(k, now)
		max := t.MaxPerToken
		if strings.HasPrefix(k, "addr:") {
			max = t.MaxPerAddr
		}
		if len(f) >= max {
			if w := f[0].Add(t.Window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait > 0, wait
}

// Fail counts a failure against every key.
func (t *throttle) Fail(keys []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	for _, k := range keys {
		t.failures[k] = append(t.recent(k, now), now)
	}
	// Forget stale keys now and then, so memory stays bounded by the window's traffic.
	if t.calls++; t.calls%1024 == 0 {
		for k := range t.failures {
			if len(t.recent(k, now)) == 0 {
				delete(t.failures, k)
			}
		}
	}
}

func (t *throttle) recent(k string, now time.Time) []time.Time {
	f := t.failures[k]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= t.Window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(t.failures, k)
		return nil
	}
	t.failures[k] = f
	return f
}
