package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"golang.org/x/sync/errgroup"
)

type upOptions struct {
	clusters, nodesPerCluster int
	dir, kubeconfig           string
	readyTimeout              time.Duration
}

func up(args []string) int {
	fs := flag.NewFlagSet("kcp up", flag.ContinueOnError)
	var o upOptions
	fs.IntVar(&o.clusters, "clusters", 1, fmt.Sprintf("number of clusters, cluster-1..N (at most %d)", maxClusters))
	fs.IntVar(&o.nodesPerCluster, "nodes-per-cluster", 1, fmt.Sprintf("nodes planned per cluster in clusters.json (0..%d)", maxNodesPerCluster))
	fs.StringVar(&o.dir, "dir", "", "state directory (absent or empty): PKI, etcd data, logs, clusters.json")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig to write, one context per cluster")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 3*time.Minute, "give up if not ready within this")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := o.validate(fs.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "kcp up:", err)
		return 2
	}
	if err := checkPrivateNetwork(); err != nil {
		fmt.Fprintln(os.Stderr, "kcp up: refusing to start:", err)
		return 3
	}
	if err := runUp(o); err != nil {
		fmt.Fprintln(os.Stderr, "kcp up:", err)
		return 1
	}
	return 0
}

func (o *upOptions) validate(rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected arguments %q", rest)
	case o.clusters < 1 || o.clusters > maxClusters:
		return fmt.Errorf("--clusters must be 1..%d (the address plan has room for that many), got %d", maxClusters, o.clusters)
	case o.nodesPerCluster < 0 || o.nodesPerCluster > maxNodesPerCluster:
		return fmt.Errorf("--nodes-per-cluster must be 0..%d, got %d", maxNodesPerCluster, o.nodesPerCluster)
	case o.dir == "" || o.kubeconfig == "":
		return errors.New("--dir and --kubeconfig are required")
	}
	var err error
	if o.dir, err = filepath.Abs(o.dir); err != nil {
		return err
	}
	if o.kubeconfig, err = filepath.Abs(o.kubeconfig); err != nil {
		return err
	}
	// A fresh directory every time: certificates, tokens and etcd data belong together.
	if entries, err := os.ReadDir(o.dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("--dir %s is not empty; give a new or empty directory", o.dir)
	}
	return nil
}

func runUp(o upOptions) error {
	started := time.Now()
	signals, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	// Cancelled with a cause when a component exits on its own; everything waiting then gives up.
	ctx, fail := context.WithCancelCause(signals)
	defer fail(nil)

	go stopWhenOrphaned(ctx, fail)

	// The components run from /proc/self/exe, not from this binary's path: the kernel resolves it to
	// the running file even if build.sh (of another worktree) removes that path meanwhile.
	self := "/proc/self/exe"
	cp := &controlPlane{self: self, logDir: filepath.Join(o.dir, "logs"), fail: fail}
	if err := os.MkdirAll(cp.logDir, 0o755); err != nil {
		return err
	}
	defer cp.stop()

	var clusters []*cluster
	for i := 1; i <= o.clusters; i++ {
		c := newCluster(o.dir, i, o.nodesPerCluster)
		if err := c.writePKI(); err != nil {
			return fmt.Errorf("%s: writing certificates and keys: %w", c.Name, err)
		}
		clusters = append(clusters, c)
	}
	fmt.Fprintf(os.Stderr, "kcp: logs in %s\n", cp.logDir)
	if err := cp.startEtcd(filepath.Join(o.dir, "etcd")); err != nil {
		return err
	}

	readyCtx, cancelReady := context.WithTimeoutCause(ctx, o.readyTimeout,
		fmt.Errorf("not ready within --ready-timeout %s", o.readyTimeout))
	defer cancelReady()
	group, groupCtx := errgroup.WithContext(readyCtx)
	versions := make([]string, len(clusters))
	for i, c := range clusters {
		group.Go(func() (err error) {
			versions[i], err = cp.bringUp(groupCtx, c)
			return err
		})
	}
	if err := group.Wait(); err != nil {
		if signals.Err() != nil {
			return nil // asked to stop while starting
		}
		if cause := context.Cause(ctx); cause != nil {
			return cause // a component died: say which, not what was being waited for
		}
		return err
	}
	for _, v := range versions[1:] {
		if v != versions[0] {
			return fmt.Errorf("API servers report different versions: %v", versions)
		}
	}

	infos := make([]clusterInfo, len(clusters))
	for i, c := range clusters {
		infos[i] = c.clusterInfo
	}
	if err := writeKubeconfig(o.kubeconfig, clusters); err != nil {
		return fmt.Errorf("writing %s: %w", o.kubeconfig, err)
	}
	if err := writeJSON(filepath.Join(o.dir, "clusters.json"), clustersFile{
		Kubeconfig: o.kubeconfig, Version: versions[0], Dir: o.dir, EtcdLog: filepath.Join(cp.logDir, "etcd.log"), Clusters: infos,
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "kcp: %d clusters (%s) ready in %.1fs\n", len(clusters), versions[0], time.Since(started).Seconds())
	fmt.Println("ready")

	<-ctx.Done()
	if signals.Err() != nil {
		fmt.Fprintln(os.Stderr, "kcp: stopping")
		return nil
	}
	return context.Cause(ctx)
}

// stopWhenOrphaned fails ctx once the process that started kcp up is gone (kcp up is then
// re-parented), so a test run that is killed leaves no control plane behind.
func stopWhenOrphaned(ctx context.Context, fail context.CancelCauseFunc) {
	parent := os.Getppid()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if os.Getppid() != parent {
				fail(fmt.Errorf("the process that started kcp up (pid %d) is gone; stopping", parent))
				return
			}
		}
	}
}

// controlPlane owns the embedded etcd and every child process; stop ends exactly those.
type controlPlane struct {
	self     string
	logDir   string
	fail     context.CancelCauseFunc
	etcd     *embed.Etcd
	mu       sync.Mutex
	children []*child
}

type child struct {
	name, logFile string
	apiserver     bool
	cmd           *exec.Cmd
	done          chan struct{}
	stopping      atomic.Bool
}

func (cp *controlPlane) startEtcd(dataDir string) error {
	cfg := embed.NewConfig()
	cfg.Name = "kcp"
	cfg.Dir = dataDir
	client, _ := url.Parse(etcdClientURL)
	peer, _ := url.Parse(etcdPeerURL)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogOutputs = []string{filepath.Join(cp.logDir, "etcd.log")}
	// etcd's own flag default; an embedded Config leaves it 0, which logs every request as slow.
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	cfg.UnsafeNoFsync = true // throw-away test data; fsync on a shared disk would dominate write latency
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting etcd on %s (is another kcp up running in this namespace?): %w", etcdClientURL, err)
	}
	cp.etcd = e
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("etcd failed: %w (log: %s)", err, cfg.LogOutputs[0])
	case <-time.After(time.Minute):
		return fmt.Errorf("etcd not ready within a minute (log: %s)", cfg.LogOutputs[0])
	}
}

// bringUp starts one cluster's components in order (the controller-manager gives up if the API
// server is not healthy within 10 s of its start) and returns the API server's /version.
func (cp *controlPlane) bringUp(ctx context.Context, c *cluster) (string, error) {
	t0 := time.Now()
	if err := cp.start(c, "apiserver", c.apiserverArgs()); err != nil {
		return "", err
	}
	admin, err := c.adminClient()
	if err != nil {
		return "", err
	}
	if err := waitFor(ctx, c.Name+" API server /readyz", func() error { return get(admin, c.Server+"/readyz", c.AdminToken, nil) }); err != nil {
		return "", err
	}
	if err := cp.start(c, "controller-manager", c.controllerManagerArgs()); err != nil {
		return "", err
	}
	if err := cp.start(c, "scheduler", c.schedulerArgs()); err != nil {
		return "", err
	}
	// Their ports serve a self-signed certificate made in memory; this is only a liveness check.
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, component := range []struct {
		name string
		port int
	}{{"controller-manager", controllerManagerPort}, {"scheduler", schedulerPort}} {
		healthz := fmt.Sprintf("https://%s:%d/healthz", c.address, component.port)
		if err := waitFor(ctx, c.Name+" "+component.name+" /healthz", func() error { return get(insecure, healthz, "", nil) }); err != nil {
			return "", err
		}
	}
	// Pods cannot be admitted in a namespace before its default ServiceAccount exists.
	if err := waitFor(ctx, c.Name+" ServiceAccount default/default", func() error {
		return get(admin, c.Server+"/api/v1/namespaces/default/serviceaccounts/default", c.AdminToken, nil)
	}); err != nil {
		return "", err
	}
	var version struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := get(admin, c.Server+"/version", c.AdminToken, &version); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "kcp: %s ready at %s in %.1fs\n", c.Name, c.Server, time.Since(t0).Seconds())
	return version.GitVersion, nil
}

// start runs `kcp <component> args…` for cluster c, its output in logs/<cluster>-<component>.log.
func (cp *controlPlane) start(c *cluster, component string, args []string) error {
	name := c.Name + "-" + component
	logFile := filepath.Join(cp.logDir, name+".log")
	c.Logs[component] = logFile
	out, err := os.Create(logFile)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own descriptor
	cmd := exec.Command(cp.self, append([]string{component}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group: a terminal's Ctrl-C reaches only kcp up, which stops the components in
	// order. Pdeathsig: if kcp up itself is killed, the kernel kills its components too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	ch := &child{name: name, logFile: logFile, apiserver: component == "apiserver", cmd: cmd, done: make(chan struct{})}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	cp.children = append(cp.children, ch)
	go func() {
		_ = cmd.Wait()
		close(ch.done)
		if !ch.stopping.Load() {
			cp.fail(fmt.Errorf("%s exited on its own (%s); its log: %s", name, cmd.ProcessState, logFile))
		}
	}()
	return nil
}

// stop ends what kcp up started, dependents first: controller-managers and schedulers, then the
// API servers, then etcd.
func (cp *controlPlane) stop() {
	cp.mu.Lock()
	children := cp.children
	cp.mu.Unlock()
	for _, apiservers := range []bool{false, true} {
		var wg sync.WaitGroup
		for _, ch := range children {
			if ch.apiserver == apiservers {
				wg.Go(ch.terminate)
			}
		}
		wg.Wait()
	}
	if cp.etcd != nil {
		cp.etcd.Close()
	}
}

func (ch *child) terminate() {
	ch.stopping.Store(true)
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ch.done:
	case <-time.After(15 * time.Second):
		fmt.Fprintf(os.Stderr, "kcp: %s did not stop within 15s of SIGTERM; killing it\n", ch.name)
		_ = ch.cmd.Process.Kill()
		<-ch.done
	}
}

func (c *cluster) adminClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.caPEM) {
		return nil, errors.New("cluster CA does not parse")
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

// get GETs url (with a bearer token if given), wants 200, and decodes JSON into out if given.
func get(client *http.Client, url, token string, out any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body[:min(len(body), 300)])))
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// waitFor retries check every 200 ms until it succeeds or ctx ends, and then says what it waited for.
func waitFor(ctx context.Context, what string, check func() error) error {
	for {
		last := check()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last answer: %v)", what, context.Cause(ctx), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	// Written whole, then renamed: a reader never sees half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
