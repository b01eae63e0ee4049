//go:build race

package main

// raceEnabled says the test binary has the race detector, so the server
// it builds gets it too (and reuses the test's build cache).
const raceEnabled = true
