package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// checkPrivateNetwork refuses to run anywhere a packet could leave: the API servers, nodes and pods
// use 10.90.0.0/16 and 10.244.0.0/16, which must exist only inside a network namespace the test run
// made itself (scripts/real-cluster/in-netns.sh).
func checkPrivateNetwork() error {
	const how = "run it through scripts/real-cluster/in-netns.sh, which makes a new network namespace with only lo"
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("cannot list network interfaces (%v); %s", err, how)
	}
	var others []string
	for _, iface := range ifaces {
		if iface.Name != "lo" {
			others = append(others, iface.Name)
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("kcp up must run inside a private network namespace with no interface but lo, "+
			"and this one also has %s; %s", strings.Join(others, ", "), how)
	}
	// Same namespace as PID 1 means the machine's own. Some sandboxes hide PID 1's namespace
	// (EACCES even for root); then the interface check above is what holds.
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return fmt.Errorf("cannot read /proc/self/ns/net (%v); %s", err, how)
	}
	init, err := os.Readlink("/proc/1/ns/net")
	switch {
	case err == nil && init == self:
		return fmt.Errorf("kcp up must run inside a private network namespace, not the machine's own (%s); %s", self, how)
	case err != nil && !errors.Is(err, os.ErrPermission):
		return fmt.Errorf("cannot read /proc/1/ns/net (%v); %s", err, how)
	}
	return nil
}
