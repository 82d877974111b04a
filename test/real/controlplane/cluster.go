package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Address plan, all inside the private network namespace (in-netns.sh makes 10.90.0.0/16 and
// 10.244.0.0/16 local, so any address in them can be bound):
//
//	cluster i      API server 10.90.i.1:6443 (its controller-manager on :10257, scheduler on :10259)
//	node j of i    10.90.i.(10+j), kubelet port 10250, pods in 10.244.((i-1)*8+j).0/24
//	services of i  10.(95+i).0.0/16 (allocated, not routed: there is no kube-proxy)
//
// Real addresses, not loopback: Endpoints and EndpointSlices reject 127.0.0.0/8 and link-local IPs.
const (
	maxClusters           = 30
	maxNodesPerCluster    = 8
	apiServerPort         = 6443
	kubeletPort           = 10250
	controllerManagerPort = 10257
	schedulerPort         = 10259
	etcdClientURL         = "http://127.0.0.1:2379"
	etcdPeerURL           = "http://127.0.0.1:2380"
	serviceAccountIssuer  = "https://kubernetes.default.svc.cluster.local"
)

// clustersFile is DIR/clusters.json, the contract with the node agent and the real-cluster tests.
type clustersFile struct {
	Kubeconfig string        `json:"kubeconfig"`
	Version    string        `json:"version"`
	Dir        string        `json:"dir"`
	EtcdLog    string        `json:"etcdLog"`
	Clusters   []clusterInfo `json:"clusters"`
}

type clusterInfo struct {
	Name        string `json:"name"`
	Context     string `json:"context"`
	Server      string `json:"server"`
	CAFile      string `json:"caFile"`
	AdminToken  string `json:"adminToken"`
	ServiceCIDR string `json:"serviceCidr"`
	// A client certificate for the same admin (group system:masters), for clients that want one.
	AdminCertFile string `json:"adminCertFile"`
	AdminKeyFile  string `json:"adminKeyFile"`
	// The CA the API server trusts for kubelet serving certificates (--kubelet-certificate-authority).
	KubeletCAFile string `json:"kubeletCaFile"`
	// Component name (apiserver, controller-manager, scheduler) → log file.
	Logs  map[string]string `json:"logs"`
	Nodes []nodeInfo        `json:"nodes"`
}

type nodeInfo struct {
	Name        string `json:"name"`
	Address     string `json:"address"`
	KubeletPort int    `json:"kubeletPort"`
	PodCIDR     string `json:"podCidr"`
	// CN system:node:<name>, O system:nodes, signed by the cluster CA (the API server's client CA).
	ClientCertFile string `json:"clientCertFile"`
	ClientKeyFile  string `json:"clientKeyFile"`
	// Kubelet serving certificate (IP SAN = address, DNS SAN = name), signed by the kubelet CA.
	ServingCertFile string `json:"servingCertFile"`
	ServingKeyFile  string `json:"servingKeyFile"`
	// The CA of the API server's kubelet-client certificate, so the agent can authenticate the API server.
	APIServerClientCAFile string `json:"apiserverClientCaFile"`
}

// cluster is one cluster's plan and the files made for it.
type cluster struct {
	clusterInfo
	index   int
	dir     string
	address string
	caPEM   []byte
	pki     map[string]string // file role → path, for the component flags
}

func newCluster(dir string, index, nodes int) *cluster {
	name := fmt.Sprintf("cluster-%d", index)
	c := &cluster{index: index, dir: filepath.Join(dir, name), address: fmt.Sprintf("10.90.%d.1", index), pki: map[string]string{}}
	c.Name, c.Context = name, name
	c.Server = fmt.Sprintf("https://%s:%d", c.address, apiServerPort)
	c.ServiceCIDR = fmt.Sprintf("10.%d.0.0/16", 95+index)
	for j := 1; j <= nodes; j++ {
		c.Nodes = append(c.Nodes, nodeInfo{
			Name:        fmt.Sprintf("%s-node-%d", name, j),
			Address:     fmt.Sprintf("10.90.%d.%d", index, 10+j),
			KubeletPort: kubeletPort,
			PodCIDR:     fmt.Sprintf("10.244.%d.0/24", (index-1)*maxNodesPerCluster+j),
		})
	}
	c.Logs = map[string]string{}
	return c
}

// kubernetesServiceIP is the first address of the service range: the `kubernetes` Service's ClusterIP,
// which in-cluster clients dial, so it must be in the serving certificate.
func (c *cluster) kubernetesServiceIP() net.IP {
	return net.ParseIP(fmt.Sprintf("10.%d.0.1", 95+c.index))
}

// writePKI makes the cluster's CAs, certificates, keys, token file and component kubeconfigs.
func (c *cluster) writePKI() error {
	pkiDir := filepath.Join(c.dir, "pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return err
	}
	// One CA signs the API server's serving certificate and every client certificate (the API
	// server's --client-ca-file); a second one, the kubelet CA, signs the nodes' serving certificates.
	ca, err := newCA(c.Name + "-ca")
	if err != nil {
		return err
	}
	kubeletCA, err := newCA(c.Name + "-kubelet-ca")
	if err != nil {
		return err
	}
	// The aggregation layer's CA: the API server proxies as front-proxy-client to extension API
	// servers, and the controller-manager and scheduler read it for their delegated authentication.
	frontProxyCA, err := newCA(c.Name + "-front-proxy-ca")
	if err != nil {
		return err
	}
	c.caPEM = ca.certPEM
	if c.CAFile, c.pki["ca.key"], err = ca.write(pkiDir, "ca"); err != nil {
		return err
	}
	if c.KubeletCAFile, c.pki["kubelet-ca.key"], err = kubeletCA.write(pkiDir, "kubelet-ca"); err != nil {
		return err
	}
	if c.pki["front-proxy-ca.crt"], _, err = frontProxyCA.write(pkiDir, "front-proxy-ca"); err != nil {
		return err
	}
	issue := func(role string, ca *keyPair, spec certSpec) (string, string, error) {
		kp, err := ca.issue(spec)
		if err != nil {
			return "", "", err
		}
		return kp.write(pkiDir, role)
	}
	type leaf struct {
		role string
		spec certSpec
	}
	leaves := []leaf{
		{"apiserver", certSpec{commonName: "kube-apiserver", usages: serverUsage,
			ips:      []net.IP{net.ParseIP(c.address), c.kubernetesServiceIP(), net.ParseIP("127.0.0.1")},
			dnsNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}}},
		// The API server's client certificate towards kubelets (pods/log, exec, port-forward).
		{"apiserver-kubelet-client", certSpec{commonName: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, usages: clientUsage}},
		{"admin", certSpec{commonName: "admin", orgs: []string{"system:masters"}, usages: clientUsage}},
		// The names the bootstrap RBAC policy binds the controller-manager's and scheduler's roles to.
		{"controller-manager", certSpec{commonName: "system:kube-controller-manager", usages: clientUsage}},
		{"scheduler", certSpec{commonName: "system:kube-scheduler", usages: clientUsage}},
	}
	if c.pki["front-proxy-client.crt"], c.pki["front-proxy-client.key"], err = issue("front-proxy-client", frontProxyCA,
		certSpec{commonName: "front-proxy-client", usages: clientUsage}); err != nil {
		return err
	}
	for _, l := range leaves {
		if c.pki[l.role+".crt"], c.pki[l.role+".key"], err = issue(l.role, ca, l.spec); err != nil {
			return err
		}
	}
	c.AdminCertFile, c.AdminKeyFile = c.pki["admin.crt"], c.pki["admin.key"]
	for i := range c.Nodes {
		n := &c.Nodes[i]
		// The Node authorizer and NodeRestriction know a kubelet by exactly this identity.
		if n.ClientCertFile, n.ClientKeyFile, err = issue(n.Name+"-client", ca, certSpec{
			commonName: "system:node:" + n.Name, orgs: []string{"system:nodes"}, usages: clientUsage}); err != nil {
			return err
		}
		if n.ServingCertFile, n.ServingKeyFile, err = issue(n.Name+"-serving", kubeletCA, certSpec{
			commonName: n.Name, ips: []net.IP{net.ParseIP(n.Address)}, dnsNames: []string{n.Name}, usages: serverUsage}); err != nil {
			return err
		}
		n.APIServerClientCAFile = c.CAFile
	}

	saKey, err := newKey()
	if err != nil {
		return err
	}
	c.pki["sa.key"], c.pki["sa.pub"] = filepath.Join(pkiDir, "sa.key"), filepath.Join(pkiDir, "sa.pub")
	if err := writePrivateKey(c.pki["sa.key"], saKey); err != nil {
		return err
	}
	if err := writePublicKey(c.pki["sa.pub"], saKey); err != nil {
		return err
	}

	token := make([]byte, 24)
	if _, err := rand.Read(token); err != nil {
		return err
	}
	c.AdminToken = hex.EncodeToString(token)
	// token,user,uid,group (kube-apiserver --token-auth-file format).
	c.pki["tokens"] = filepath.Join(pkiDir, "tokens.csv")
	if err := os.WriteFile(c.pki["tokens"], []byte(c.AdminToken+",admin,admin,system:masters\n"), 0o600); err != nil {
		return err
	}
	for _, component := range []string{"controller-manager", "scheduler"} {
		if err := c.writeComponentKubeconfig(component); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) writeComponentKubeconfig(component string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.caPEM}
	cfg.AuthInfos[component] = &clientcmdapi.AuthInfo{ClientCertificate: c.pki[component+".crt"], ClientKey: c.pki[component+".key"]}
	cfg.Contexts[component] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: component}
	cfg.CurrentContext = component
	c.pki[component+".kubeconfig"] = filepath.Join(c.dir, component+".kubeconfig")
	return clientcmd.WriteToFile(*cfg, c.pki[component+".kubeconfig"])
}

func (c *cluster) apiserverArgs() []string {
	return []string{
		"--advertise-address=" + c.address, // the `kubernetes` Endpoints point here (loopback would be rejected)
		"--bind-address=" + c.address,      // every cluster's API server on 6443, each on its own address
		fmt.Sprintf("--secure-port=%d", apiServerPort),
		"--etcd-servers=" + etcdClientURL,
		// One etcd serves every cluster; each cluster's keys live under its own prefix. Ending in
		// /registry keeps one prefix from being a string prefix of another (cluster-1 vs cluster-10).
		"--etcd-prefix=/" + c.Name + "/registry",
		"--tls-cert-file=" + c.pki["apiserver.crt"],
		"--tls-private-key-file=" + c.pki["apiserver.key"],
		"--client-ca-file=" + c.CAFile,
		"--token-auth-file=" + c.pki["tokens"],
		"--authorization-mode=Node,RBAC",
		// Added to the default admission plugins (which stay enabled), as kubeadm does.
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true", // as on kubeadm, kind and managed clusters
		"--service-cluster-ip-range=" + c.ServiceCIDR,
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + c.pki["sa.pub"],
		"--service-account-signing-key-file=" + c.pki["sa.key"],
		"--requestheader-client-ca-file=" + c.pki["front-proxy-ca.crt"],
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + c.pki["front-proxy-client.crt"],
		"--proxy-client-key-file=" + c.pki["front-proxy-client.key"],
		"--kubelet-client-certificate=" + c.pki["apiserver-kubelet-client.crt"],
		"--kubelet-client-key=" + c.pki["apiserver-kubelet-client.key"],
		"--kubelet-certificate-authority=" + c.KubeletCAFile,
		// pods/log and friends go to the Node's InternalIP (the node agent's address), never a hostname.
		"--kubelet-preferred-address-types=InternalIP",
		"--v=2",
	}
}

// componentArgs are the flags controller-manager and scheduler share: their own client certificate,
// also for delegated authentication of their /healthz port, bound to the cluster's address.
func (c *cluster) componentArgs(component string, port int) []string {
	kubeconfig := c.pki[component+".kubeconfig"]
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + c.address,
		fmt.Sprintf("--secure-port=%d", port),
		"--leader-elect=false", // one instance each; leader election would only delay start-up
		"--v=2",
	}
}

func (c *cluster) controllerManagerArgs() []string {
	return append(c.componentArgs("controller-manager", controllerManagerPort),
		// Each controller acts as its own ServiceAccount, so RBAC applies to controllers as on real clusters.
		"--use-service-account-credentials=true",
		"--root-ca-file="+c.CAFile, // published as kube-root-ca.crt in every namespace
		"--service-account-private-key-file="+c.pki["sa.key"],
		// The CSR signers issue what the API server trusts: kubelet serving certificates from the
		// kubelet CA, client certificates from the cluster CA (e.g. for a node agent's CSRs).
		"--cluster-signing-kubelet-serving-cert-file="+c.KubeletCAFile,
		"--cluster-signing-kubelet-serving-key-file="+c.pki["kubelet-ca.key"],
		"--cluster-signing-kubelet-client-cert-file="+c.CAFile,
		"--cluster-signing-kubelet-client-key-file="+c.pki["ca.key"],
		"--cluster-signing-kube-apiserver-client-cert-file="+c.CAFile,
		"--cluster-signing-kube-apiserver-client-key-file="+c.pki["ca.key"],
		"--cluster-name="+c.Name,
	)
}

func (c *cluster) schedulerArgs() []string {
	return c.componentArgs("scheduler", schedulerPort)
}

// writeKubeconfig writes one kubeconfig with a context per cluster, named as kube-sim names them.
func writeKubeconfig(path string, clusters []*cluster) error {
	cfg := clientcmdapi.NewConfig()
	for _, c := range clusters {
		user := c.Name + "-admin"
		cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.caPEM}
		cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: c.AdminToken}
		cfg.Contexts[c.Name] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: user}
	}
	cfg.CurrentContext = clusters[0].Name
	return clientcmd.WriteToFile(*cfg, path)
}
