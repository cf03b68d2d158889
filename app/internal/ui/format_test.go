package ui

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Bytes(0), "0 B"},
		{Bytes(-5), "0 B"},
		{Bytes(1536 << 20), "1.5 GiB"},
		{Rate(0), "0 B/s"},
		{Rate(12.5e6), "12 MiB/s"},
		{Clock(0), "0:00"},
		{Clock(83 * time.Second), "1:23"},
		{Clock(3*time.Hour + 2*time.Minute + 5*time.Second + 900*time.Millisecond), "3:02:05"},
		{Clock(-time.Second), "0:00"},
		{ETA(0, 100, 0), ""},
		{ETA(100, 100, 10), ""},
		{ETA(50, 100, 10), "about 6 s"},
		{ETA(0, 1200, 10), "about 2 min"},
		{ETA(0, 36000, 5), "about 2.0 h"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
