package main

import (
	"io"
	"testing"
)

func TestParseSizeAndRate(t *testing.T) {
	sizes := map[string]int64{"100MB": 100e6, "2GiB": 2 << 30, "512KiB": 512 << 10, "1234": 1234, "16 MiB": 16 << 20}
	for in, want := range sizes {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	rates := map[string]int64{"10Mbit": 1.25e6, "10Mbit/s": 1.25e6, "2MB/s": 2e6, "1MiB/s": 1 << 20, "8kbit": 1000, "500": 500}
	for in, want := range rates {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "10Mbps!", "-5MB", "bit", "MB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) accepted", bad)
		}
	}
}

// TestGatewaysFlag: defaults unless --isolated, and an explicitly empty
// --gateways turns the fallback off.
func TestGatewaysFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, len(defaultGateways)},
		{[]string{"version", "--isolated"}, 0},
		{[]string{"version", "--gateways", ""}, 0},
		{[]string{"version", "--isolated", "--gateways", "http://127.0.0.1:1,http://127.0.0.1:2"}, 2},
	} {
		c := &cli{stdout: io.Discard, stderr: io.Discard}
		root := c.rootCommand()
		root.SetArgs(tc.args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		cfg, err := c.g.nodeConfig()
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Gateways) != tc.want {
			t.Errorf("%v: gateways %v, want %d", tc.args, cfg.Gateways, tc.want)
		}
	}
}
