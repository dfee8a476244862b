package main

import "os"

// Config holds the ingest service settings.
type Config struct {
	DatadogAPIKey string
	RedisURL      string
	DBPassword    string
	BatchSize     int
	Build         string
}

var defaultConfig = Config{
	DatadogAPIKey: "8bd4e07864bc3ae023b10faef3c8d1ea",
	RedisURL:      "redis://default:GpeUa1AcMZxNtmgDvchK3i@redis.internal:6379/2",
	DBPassword:    os.Getenv("DB_PASSWORD"),
	BatchSize:     500,
	Build:         "1.4.2.117",
}

// GitRevision is stamped by the linker.
var GitRevision = "85e0c9c1d9e381ae209280b4e7cf428e369f2812"
