package main

import "github.com/ipfs-tube/ipfs-tube/app/internal/units"

// parseSize reads sizes like "100MB", "2GiB", "512k" or a plain byte
// count (units.ParseSize).
func parseSize(s string) (int64, error) { return units.ParseSize(s) }

// parseRate reads a rate in bytes per second: "10Mbit" or "10Mbps"
// (bits), "2MB/s", "2MiB/s" or "500k" (bytes); 0 is no cap, a rate
// below 1 B/s an error (units.ParseRate).
func parseRate(s string) (int64, error) { return units.ParseRate(s) }
