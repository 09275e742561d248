package site

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Limiter decides whether a client may create a scenario now.
type Limiter interface {
	// Allow takes one create from key's allowance. When none is left it
	// returns false and how long until there is one.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// TokenBucket is a Limiter in memory: each key has a bucket of Burst
// tokens that refills at Rate tokens a second, and a create takes one.
// Buckets that have refilled are forgotten, so memory follows the number
// of clients active in the last Burst/Rate seconds.
type TokenBucket struct {
	rate, burst float64
	now         func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// NewTokenBucket allows each key perMinute (> 0) creates a minute, and up
// to burst at once. For no limit, leave Config.CreateLimit nil.
func NewTokenBucket(perMinute float64, burst int) *TokenBucket {
	return &TokenBucket{rate: perMinute / 60, burst: float64(max(burst, 1)), now: time.Now, buckets: map[string]*bucket{}}
}

// Allow implements Limiter.
func (tb *TokenBucket) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	now := tb.now()
	full := time.Duration(tb.burst / tb.rate * float64(time.Second))
	if now.Sub(tb.swept) > full {
		for k, b := range tb.buckets {
			if now.Sub(b.at) >= full {
				delete(tb.buckets, k)
			}
		}
		tb.swept = now
	}
	b, ok := tb.buckets[key]
	if !ok {
		b = &bucket{tokens: tb.burst, at: now}
		tb.buckets[key] = b
	}
	b.tokens = math.Min(tb.burst, b.tokens+now.Sub(b.at).Seconds()*tb.rate)
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / tb.rate * float64(time.Second)), nil
	}
	b.tokens--
	return true, 0, nil
}

// RemoteClient names a request's client by the address of its connection:
// the IP, or for IPv6 its /64, which one host can fill with addresses.
func RemoteClient(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return clientKey(host)
}

// HeaderClient names the client by a header that a proxy in front of the
// server sets (X-Forwarded-For, CF-Connecting-IP): its last entry, the one
// the proxy added, since a client may send the header with any value. Use
// it only behind such a proxy; without the header the connection counts.
func HeaderClient(name string) func(*http.Request) string {
	return func(r *http.Request) string {
		v := r.Header.Values(name)
		if len(v) == 0 {
			return RemoteClient(r)
		}
		last := v[len(v)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		return clientKey(strings.TrimSpace(last))
	}
}

func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}
