// Command kcp runs a real Kubernetes control plane (kube-apiserver, kube-controller-manager,
// kube-scheduler from k8s.io/kubernetes, and an embedded etcd) for kubecost-rotate's real-cluster
// test suite. It is a test tool, never part of the product.
//
//	kcp up --clusters N --dir DIR --kubeconfig PATH [--nodes-per-cluster 1] [--ready-timeout 3m]
//	kcp apiserver|controller-manager|scheduler FLAGS…   (started by `kcp up`, one process each)
//
// See README.md for the address plan and clusters.json.
package main

import (
	"fmt"
	"os"

	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	// Each component gets its own process: kube-apiserver keeps process-global state (metrics
	// registries, feature gates, admission plugin registration), so two in one process collide.
	sub, rest := os.Args[1], os.Args[2:]
	os.Args = append([]string{"kcp " + sub}, rest...)
	switch sub {
	case "apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "up":
		os.Exit(up(rest))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kcp up --clusters N --dir DIR --kubeconfig PATH [--nodes-per-cluster 1] [--ready-timeout 3m]\n"+
		"       kcp apiserver|controller-manager|scheduler FLAGS… (run by `kcp up`)")
	os.Exit(2)
}
