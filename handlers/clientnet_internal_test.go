package handlers

import "testing"

func TestClientNetwork(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.7", "::ffff:192.0.2.7"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := clientNetwork(tt.in); got != tt.want {
			t.Errorf("clientNetwork(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
