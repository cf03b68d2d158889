package node

import (
	"testing"
	"time"
)

// Blocks arriving 168 ms apart on a busy link (1 MiB at 50 Mbit/s) make a
// rate of ~6 MB/s, so the window is capped at half a second of that;
// arrivals on an idle link (one fetch at a time) teach nothing.
func TestDeliveryMeterCapsWindowByRate(t *testing.T) {
	var m deliveryMeter
	if c := m.windowCap(); c != 0 {
		t.Fatalf("cap %d before any measure, want none", c)
	}
	now := time.Unix(1000, 0)
	// Idle link: one fetch at a time.
	for range 5 {
		m.started()
		now = now.Add(time.Second)
		m.arrived(1<<20, true, now)
	}
	if c := m.windowCap(); c != 0 {
		t.Fatalf("cap %d from arrivals on an idle link, want none", c)
	}
	// Busy link: 4 fetches in flight, one block every 168 ms.
	for range 4 {
		m.started()
	}
	for range 20 {
		m.started()
		now = now.Add(168 * time.Millisecond)
		m.arrived(1<<20, true, now)
	}
	rate := float64(1<<20) / 0.168
	want := int64(rate * windowSeconds)
	if c := m.windowCap(); c < want*9/10 || c > want*11/10 {
		t.Fatalf("cap %d bytes, want about %d (half a second at %.1f MB/s)", c, want, rate/1e6)
	}
	// A fast link lifts the cap again.
	for range 40 {
		m.started()
		now = now.Add(3 * time.Millisecond)
		m.arrived(1<<20, true, now)
	}
	if c := m.windowCap(); c < 64<<20 {
		t.Fatalf("cap %d bytes after 3 ms per block, want above the largest read-ahead", c)
	}
	// Failed fetches count as gone, not as deliveries.
	m.started()
	m.arrived(0, false, now.Add(time.Second))
}
